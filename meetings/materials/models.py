"""Materials: files attached to a meeting, an agenda item or a speaker slot, their versions,
where their bytes live, and who opened them.

Shaped like Indico's attachments: `Material` is what people see (title, where it hangs, who
may see it); `MaterialVersion` is one uploaded file. A new upload adds a version and moves
`Material.current_version`; nothing is overwritten. The bytes sit in `MaterialBlob` behind
`meetings.materials.storage`, so every app host and every database backup has them.
"""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from meetings.core.db import UTCDateTime, enum_column, utcnow
from meetings.extensions import Model


class Audience(enum.StrEnum):
    """Who a material is for, besides the meeting's organizers and its chair."""

    ALL = "all"                # everyone invited
    CHOSEN = "chosen"          # the roles in `audience_roles` and the sites in `audience_site_ids`
    ORGANIZERS = "organizers"  # organizers (and the chair) only


class AccessAction(enum.StrEnum):
    """What someone did with a material."""

    VIEW = "view"          # shown in the browser (inline)
    DOWNLOAD = "download"  # saved as a file (an attachment, or inside the meeting's ZIP)


class MaterialBlob(Model):
    """The bytes of one stored file (the database storage of `meetings.materials.storage`)."""

    __tablename__ = "material_blobs"
    __table_args__ = (
        sa.CheckConstraint("size >= 0", name="size_not_negative"),
        # The sweep of unreferenced blobs reads the old ones from here, never the rows (and bytes).
        sa.Index("ix_material_blobs_created_at", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: SHA-256 of the bytes, hex.
    sha256: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    #: Length in bytes.
    size: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    #: The bytes: bytea on PostgreSQL, a blob on SQLite. Read in chunks (`storage.open`).
    data: Mapped[bytes] = mapped_column(sa.LargeBinary, nullable=False)
    #: When it was stored.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    def __repr__(self) -> str:
        return f"<MaterialBlob {self.id} {self.size}B>"


class Material(Model):
    """A document of a meeting: a report, slides, a table, an image."""

    __tablename__ = "materials"
    __table_args__ = (
        sa.CheckConstraint("current_version >= 1", name="has_a_version"),
        # One material per speaker and agenda item (their slot): a new upload is a new version.
        sa.Index("uq_materials_one_per_speaker_item", "agenda_item_id", "speaker_person_id", unique=True,
                 sqlite_where=sa.text("speaker_person_id IS NOT NULL"),
                 postgresql_where=sa.text("speaker_person_id IS NOT NULL")),
        sa.Index("ix_materials_meeting", "meeting_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The meeting it belongs to.
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id", ondelete="CASCADE"), nullable=False)
    #: The agenda item it is for (None: the meeting as a whole, or the item was removed).
    agenda_item_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("agenda_items.id", ondelete="SET NULL"), nullable=True, index=True)
    #: With `agenda_item_id`, the speaker whose slot it is for. Slots are rewritten when their item's
    #: speakers are edited (new ids), so the material names the item and the speaker, not a slot id.
    speaker_person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id", ondelete="SET NULL"),
                                                          nullable=True)
    #: What people see: "Half-year report, Shanghai branch".
    title: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    #: all, chosen (roles and sites below) or organizers.
    audience: Mapped[Audience] = mapped_column(enum_column(Audience, "material_audience"), nullable=False,
                                               default=Audience.ALL)
    #: With `Audience.CHOSEN`: the roles that see it ("chair", "site_host"...).
    audience_roles: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)
    #: With `Audience.CHOSEN`: the sites whose people (and whose room) see it.
    audience_site_ids: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)
    #: Shown in the browser but not downloadable by participants; its links die with the meeting's.
    confidential: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    #: The number of the current (newest) version.
    current_version: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1)
    #: Added or replaced after the meeting was published: update emails list it to its audience.
    notice_pending: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False, server_default=sa.false())
    #: When it was made.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    #: When its last version was added or its audience changed.
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    versions: Mapped[list[MaterialVersion]] = relationship(
        back_populates="material", cascade="all, delete-orphan", order_by="MaterialVersion.number")

    @property
    def current(self) -> MaterialVersion:
        """The newest version."""
        return next(v for v in reversed(self.versions) if v.number == self.current_version)

    def __repr__(self) -> str:
        return f"<Material {self.id} {self.title!r} v{self.current_version}>"


class MaterialVersion(Model):
    """One uploaded file of a material: never changed, never overwritten."""

    __tablename__ = "material_versions"
    __table_args__ = (
        sa.UniqueConstraint("material_id", "number", name="uq_material_versions_number"),
        sa.CheckConstraint("size > 0", name="not_empty"),
        sa.CheckConstraint("number >= 1", name="number_positive"),
        # Uploaded by a user (organizer) or through an invitation's link (a speaker), never both
        # (either may be gone later: a deleted account leaves the version).
        sa.CheckConstraint("uploader_user_id IS NULL OR uploader_invitation_id IS NULL", name="one_uploader"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The material.
    material_id: Mapped[int] = mapped_column(sa.ForeignKey("materials.id", ondelete="CASCADE"), nullable=False)
    #: 1, 2, ...: the order of uploads.
    number: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    #: A safe base name ("report.pdf"): no directories, no control characters.
    filename: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    #: The type found in the content's first bytes (not the name's): application/pdf, ...
    content_type: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    #: Length in bytes.
    size: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    #: SHA-256 of the content, hex.
    sha256: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    #: Where the bytes are (`storage.open(ref)`): "db:42". Indexed: the sweep asks it of every old blob.
    storage_ref: Mapped[str] = mapped_column(sa.String(200), nullable=False, index=True)
    #: The organizer who uploaded it.
    uploader_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"),
                                                         nullable=True)
    #: The invitation whose link it was uploaded through (a speaker without an account).
    uploader_invitation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("invitations.id", ondelete="SET NULL"), nullable=True)
    #: When it was uploaded.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    material: Mapped[Material] = relationship(back_populates="versions")

    def __repr__(self) -> str:
        return f"<MaterialVersion {self.material_id}.{self.number} {self.filename!r}>"


class MaterialAccess(Model):
    """One view or download of a material: who, when, through which link or account."""

    __tablename__ = "material_accesses"
    __table_args__ = (
        sa.CheckConstraint("user_id IS NOT NULL OR invitation_id IS NOT NULL OR site_id IS NOT NULL",
                           name="has_someone"),
        sa.Index("ix_material_accesses_material_at", "material_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The material.
    material_id: Mapped[int] = mapped_column(sa.ForeignKey("materials.id", ondelete="CASCADE"), nullable=False)
    #: The version that was served.
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    #: view or download.
    action: Mapped[AccessAction] = mapped_column(enum_column(AccessAction, "material_access_action"),
                                                 nullable=False)
    #: How: "api", "page" (an organizer's page), "zip", "rsvp_link", "site_link".
    via: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    #: The signed-in user or API token's user.
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    #: The invitation whose link was used.
    invitation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("invitations.id", ondelete="SET NULL"),
                                                      nullable=True)
    #: The site whose room link was used.
    site_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sites.id", ondelete="SET NULL"), nullable=True)
    #: When.
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    def __repr__(self) -> str:
        return f"<MaterialAccess {self.material_id} {self.action} via {self.via}>"


def _register_references() -> None:
    from meetings.materials import storage

    storage.holds_references(MaterialVersion.storage_ref)


_register_references()


def _register_versions() -> None:
    # The link pages (RSVP, join) list a meeting's materials: a new one, a new version or a new
    # audience moves the meeting's content version, so kept pages are rendered again. (A new
    # version also changes its material's ``current_version``; its own row is registered too, so
    # that what the pages read of it is covered by itself.)
    from meetings.scheduling import versions

    versions.touches(Material, lambda material: material.meeting_id)
    versions.touches_through(MaterialVersion, lambda version: version.material_id,
                             lambda materials: sa.select(Material.meeting_id).where(Material.id.in_(materials)))


_register_versions()
