-- wrk script: GET the paths listed in the file named by BENCH_PATHS (one a line), in order,
-- split between wrk's threads; count the responses' X-Kept-Page (meetings.core.pagecache) and
-- statuses, and print them at the end as one line: "PATHS sent listed hits misses bad".
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local counter = tonumber(os.getenv("BENCH_THREADS") or "2")  -- setup() counted in another Lua state
  local all = {}
  for line in io.lines(os.getenv("BENCH_PATHS")) do table.insert(all, line) end
  paths = {}
  for i, path in ipairs(all) do
    if (i - 1) % counter == id then table.insert(paths, path) end
  end
  listed, sent, hits, misses, bad = #paths, 0, 0, 0, 0
  requests = {}
  for i, path in ipairs(paths) do requests[i] = wrk.format("GET", path) end
end

function request()
  sent = sent + 1
  return requests[(sent - 1) % listed + 1]
end

function response(status, headers, body)
  if status ~= 200 then bad = bad + 1 end
  local kept = headers["X-Kept-Page"]
  if kept == "hit" then hits = hits + 1 elseif kept == "miss" then misses = misses + 1 end
end

function done(summary, latency, requests)
  local totals = {sent = 0, listed = 0, hits = 0, misses = 0, bad = 0}
  for _, thread in ipairs(threads) do
    for name, _ in pairs(totals) do totals[name] = totals[name] + thread:get(name) end
  end
  io.write(string.format("PATHS %d %d %d %d %d\n", totals.sent, totals.listed, totals.hits, totals.misses,
                         totals.bad))
end
