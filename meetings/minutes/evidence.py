"""Evidence an action's owner attaches (a photo, a signed plan): its bytes are kept by the
materials storage (``meetings.materials.storage``: one place for file bytes, every host and every
backup has them); rows here keep only its reference.
"""

from __future__ import annotations

import io
import os

from flask_babel import gettext as _

from meetings.core.errors import Conflict, InvalidInput, NotFound
from meetings.extensions import db
from meetings.materials import storage
from meetings.minutes.models import ActionEvidence, ActionItem, ActionUpdate, UpdateKind

#: Bounds: one file's size, and files per action.
MAX_BYTES = 5 * 1024 * 1024
MAX_FILES = 20


def store(data: bytes) -> str:
    """Keep ``data`` in the materials storage (in the caller's transaction); its reference."""
    return storage.store(data)


def open(ref: str) -> io.RawIOBase:  # noqa: A001 (the storage interface's name)
    """The bytes at ``ref`` as a binary file; `NotFound` when they are gone."""
    try:
        return storage.open(ref)
    except storage.StoredFileMissing:
        raise NotFound(_("The file is gone.")) from None


def attach(action: ActionItem, upload, *, author: str) -> ActionEvidence:
    """Attach an uploaded file (a werkzeug ``FileStorage``) to an open action, logged as progress."""
    if not action.is_open:
        raise Conflict(_("This action is closed (%(status)s).", status=action.status.value))
    if upload is None or not upload.filename:
        raise InvalidInput(_("Choose a file."), "file")
    if len(action.evidence) >= MAX_FILES:
        raise InvalidInput(_("At most %(num)d files per action.", num=MAX_FILES), "file")
    data = upload.stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise InvalidInput(_("A file may have at most %(mb)d MB.", mb=MAX_BYTES // (1024 * 1024)), "file")
    if not data:
        raise InvalidInput(_("The file is empty."), "file")
    name = os.path.basename(upload.filename.replace("\\", "/")).strip().lstrip(".")[:200] or "evidence"
    evidence = ActionEvidence(filename=name, size=len(data), ref=store(data), uploaded_by=author[:254])
    action.evidence.append(evidence)
    action.updates.append(ActionUpdate(kind=UpdateKind.PROGRESS, text=_("File attached: %(name)s", name=name),
                                       author=author[:254]))
    db.session.flush()
    return evidence


def get(action: ActionItem, evidence_id: int) -> ActionEvidence:
    """One of the action's files; `NotFound` otherwise."""
    evidence = next((e for e in action.evidence if e.id == evidence_id), None)
    if evidence is None:
        raise NotFound(_("No such file."))
    return evidence
