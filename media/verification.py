"""`audit verify` for evidence files (issue 19): every stored original and display copy is bound
to the hashes logged when its upload completed.

The `media.upload_completed` entry holds the original's SHA-256 and (since this check exists) the
view's and the thumbnail's. A media row whose hashes differ from the log was edited; a file whose
bytes no longer hash to its name was replaced. Sealed or not: a photo of a record still being
inspected is evidence too.
"""
from __future__ import annotations

import os

from sqlalchemy import select

from server.audit.service import Finding, logged, register_verifier, scope

from .models import MediaObject
from .store import derivatives, originals

DERIVED = ("view_sha256", "thumb_sha256")


def file_intact(store, sha: str) -> bool:
    """The stored file still hashes to its name. An incremental run trusts a local file whose inode
    has not changed (ctime) since the verified run it resumes from began; anything else is re-hashed.
    (Replacing or rewriting a file, or changing its mode, sets its ctime: only the system clock can
    set it back.)"""
    run = scope()
    try:
        if run.files_trusted_before is not None:
            path = store.local_path(sha)
            if path is not None and os.stat(path).st_ctime < run.files_trusted_before.timestamp():
                run.files_trusted += 1
                return True
        run.files_hashed += 1
        return store.verify(sha)
    except (OSError, ValueError):
        return False



def _problem(obj: MediaObject, entry: dict | None) -> str | None:
    if entry is None:
        return "its bytes are stored, but the log holds no completed upload for them"
    if entry.get("sha256") != obj.sha256:
        return f"its SHA-256 {str(obj.sha256)[:12]}… differs from the logged upload's {str(entry.get('sha256'))[:12]}…"
    for name in DERIVED:
        if name in entry and entry[name] != getattr(obj, name):
            return f"its {name.split('_')[0]} copy differs from the one logged at upload"
    if not file_intact(originals(), obj.sha256):
        return "the stored original no longer matches its SHA-256 (missing or replaced)"
    for name in DERIVED:
        sha = getattr(obj, name)
        if sha and not file_intact(derivatives(), sha):
            return f"the stored {name.split('_')[0]} copy no longer matches its SHA-256 (missing or replaced)"
    return None


def verify_media(session) -> list[Finding]:
    # Bytes arrive by a phone's upload, or (the demo data set's photos) are stored by the server itself.
    uploads = {e.target_id: e.data for e in logged(session, ["media.upload_completed", "media.stored"])}
    objects = session.execute(select(MediaObject).where(MediaObject.uploaded_at.is_not(None))
                              .order_by(MediaObject.media_id)).scalars().all()
    for obj in objects:
        problem = _problem(obj, uploads.get(obj.media_id))
        if problem:
            return [Finding(f"media {obj.media_id}", False, problem)]
    return [Finding("media", True, f"{len(objects)} stored files and their display copies agree with the log")]


register_verifier("media", verify_media)
