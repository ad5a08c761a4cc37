-- wrk script: POST one RSVP answer to each path listed in the file named by BENCH_PATHS
-- ("PATH ANSWER" a line), each once, split between wrk's threads; a thread stops once all its
-- answers are answered. Prints, per thread, "ANSWERS posted redirected bad first last" (seconds
-- of CLOCK_MONOTONIC), "LATENCIES ms ms ..." and "CONFIRMED path path ..." (answers the server
-- confirmed with its 303): wrk's own latency would mix in the requests a thread sends while its
-- last answers are still on their way.
local ffi = require("ffi")
ffi.cdef[[ typedef struct { long tv_sec; long tv_nsec; } bench_timespec; int clock_gettime(int, bench_timespec *); ]]
local clock = ffi.new("bench_timespec")
local function now()
  ffi.C.clock_gettime(1, clock)
  return tonumber(clock.tv_sec) + tonumber(clock.tv_nsec) / 1e9
end

local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local counter = tonumber(os.getenv("BENCH_THREADS") or "2")  -- setup() counted in another Lua state
  answers = {}
  local i = 0
  for line in io.lines(os.getenv("BENCH_PATHS")) do
    if i % counter == id then
      local path, answer = line:match("^(%S+) (%S+)$")
      table.insert(answers, {path = path, body = "response=" .. answer})
    end
    i = i + 1
  end
  posted, redirected, bad, first, last, filler = 0, 0, 0, 0, 0, wrk.format("GET", "/bench-ok")
  ok200, fillers, verified, finished = 0, 0, false, false
  started = {}
  latencies = {}
  confirmed = {}
end

function request()
  -- wrk calls request() once before it connects, to check the request (script_verify_request
  -- in wrk.c), and sends nothing of it: that first call gets the filler, so no answer is lost.
  if not verified then
    verified = true
    return filler
  end
  if posted >= #answers then
    fillers = fillers + 1
    return filler
  end
  posted = posted + 1
  local answer = answers[posted]
  local at = now()
  if first == 0 then first = at end
  started[answer.path] = at
  return wrk.format("POST", answer.path, {["Content-Type"] = "application/x-www-form-urlencoded"}, answer.body)
end

function response(status, headers, body)
  local location = headers["Location"]
  if status == 303 and location then
    local path = location:match("^https?://[^/]+(/rsvp/[^?]+)") or location:match("^(/rsvp/[^?]+)")
    local at = now()
    if path and started[path] then
      table.insert(latencies, (at - started[path]) * 1000)
      table.insert(confirmed, path)
      started[path] = nil
    end
    redirected = redirected + 1
    last = at
  elseif status ~= 200 then
    bad = bad + 1
  else
    ok200 = ok200 + 1
  end
  if redirected + bad >= #answers and not finished then
    -- wrk's main thread sleeps out its -d duration whatever its threads do: tell the bench,
    -- which interrupts wrk (SIGINT) so it exits and closes its connections.
    finished = true
    local marker = io.open(os.getenv("BENCH_DONE"), "w")
    marker:write("done\n")
    marker:close()
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  for _, thread in ipairs(threads) do
    io.write(string.format("ANSWERS %d %d %d %.6f %.6f\n", thread:get("posted"), thread:get("redirected"),
                           thread:get("bad"), thread:get("first"), thread:get("last")))
    io.write(string.format("FILLERS sent %d, 200s %d\n", thread:get("fillers"), thread:get("ok200")))
    local parts = {}
    for _, value in pairs(thread:get("latencies")) do table.insert(parts, string.format("%.3f", value)) end
    io.write("LATENCIES " .. table.concat(parts, " ") .. "\n")
    local paths = {}
    for _, path in pairs(thread:get("confirmed")) do table.insert(paths, path) end
    io.write("CONFIRMED " .. table.concat(paths, " ") .. "\n")
  end
end
