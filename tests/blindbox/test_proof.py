"""Proof photos: checked by content (never by name), re-encoded so nothing rides along,
stored under instance/uploads/ with a generated name; refused uploads store nothing."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import select
from werkzeug.test import EnvironBuilder

from app.blindbox.proof import MAX_PHOTO_BYTES, ProofError, photo_path, store_photo
from app.extensions import database
from app.models import TaskDraw
from tests.blindbox.conftest import People, load, member_client, staff_client
from tests.conftest import csrf_token

NAME = r"^[0-9a-f]{32}\.jpg$"


def jpeg_bytes(size: tuple[int, int] = (64, 48), colour: str = "red", **save: Any) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG", **save)
    return buffer.getvalue()


def _encoded(kind: str, mode: str = "RGB", size: tuple[int, int] = (40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, "blue").save(buffer, kind)
    return buffer.getvalue()


def _refused(data: bytes, folder: Path) -> str:
    with pytest.raises(ProofError) as problem:
        store_photo(data, folder)
    return problem.value.code


def test_every_accepted_kind_is_stored_as_our_own_jpeg(tmp_path: Path) -> None:
    for data in (
        jpeg_bytes(),
        _encoded("PNG"),
        _encoded("WEBP"),
        _encoded("PNG", "RGBA"),
        _encoded("PNG", "P"),
    ):
        name = store_photo(data, tmp_path)
        assert len(name) == 36 and name.endswith(".jpg") and int(name[:32], 16) >= 0
        with Image.open(tmp_path / name) as stored:
            assert stored.format == "JPEG" and stored.mode == "RGB"
    assert len(list(tmp_path.iterdir())) == 5  # no staging file is left behind


def test_a_transparent_png_is_flattened_on_white(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    Image.new("RGBA", (10, 10), (255, 0, 0, 0)).save(buffer, "PNG")
    with Image.open(tmp_path / store_photo(buffer.getvalue(), tmp_path)) as stored:
        assert all(channel > 240 for channel in stored.getpixel((5, 5)))


def test_gps_and_other_exif_are_dropped_and_the_photo_turned_upright(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to view
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (39.0, 54.0, 0.0)}  # GPS IFD: where the member lives
    name = store_photo(jpeg_bytes((80, 40), exif=exif.tobytes()), tmp_path)
    with Image.open(tmp_path / name) as stored:
        assert stored.size == (40, 80)
        assert dict(stored.getexif()) == {}
        assert b"PhoneMaker" not in (tmp_path / name).read_bytes()


def test_a_large_photo_is_scaled_to_2048_on_its_long_side(tmp_path: Path) -> None:
    with Image.open(tmp_path / store_photo(jpeg_bytes((4000, 1000)), tmp_path)) as stored:
        assert stored.size == (2048, 512)


def test_what_is_refused(tmp_path: Path) -> None:
    assert _refused(b"", tmp_path) == "photo_empty"
    assert _refused(b"\xff\xd8" + os.urandom(MAX_PHOTO_BYTES), tmp_path) == "photo_too_large"
    assert _refused(_encoded("GIF"), tmp_path) == "photo_type"
    assert _refused(_encoded("BMP"), tmp_path) == "photo_type"
    assert _refused(b"<html><script>alert(1)</script></html>", tmp_path) == "photo_type"
    assert _refused(b"%PDF-1.4\n" + b"0" * 100, tmp_path) == "photo_type"
    assert _refused(jpeg_bytes((200, 200))[:300], tmp_path) == "photo_corrupt"
    assert list(tmp_path.iterdir()) == []


def test_a_decompression_bomb_is_refused_before_it_is_decoded(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    Image.new("1", (8000, 6000)).save(buffer, "PNG")  # 48 MP, a few kB on disk
    assert len(buffer.getvalue()) < 100_000
    assert _refused(buffer.getvalue(), tmp_path) == "photo_too_large"


def test_only_our_own_names_lead_to_a_file(tmp_path: Path) -> None:
    name = store_photo(jpeg_bytes(), tmp_path)
    assert photo_path(tmp_path, name) == tmp_path / name
    for bad in ("../secret_key", name.upper(), name[:-4] + ".png", "x" * 32 + ".jpg", "0" * 32 + ".jpg"):
        assert photo_path(tmp_path, bad) is None


# -- through the task page -----------------------------------------------------------------

PHOTO_CARD = """
key: photo
title: 照片卡
rules: {offer: 1, per_day: 0, per_week: 0}
cards:
  - {id: snap, title: 拍一张志愿服务照片, points: 10, proof: photo}
"""


def _task(app: Any) -> tuple[Any, str, int]:
    phone = member_client(app, "M001")
    token = csrf_token(phone, "/me/boxes")
    deck_id = load(app, PHOTO_CARD)
    drawn = phone.post(f"/me/api/decks/{deck_id}/draw", json={}, headers={"X-CSRFToken": token}).get_json()
    return phone, drawn["draw"]["task_url"], drawn["draw"]["id"]


def _send(phone: Any, url: str, data: bytes, filename: str) -> Any:
    form = {"text": "", "csrf_token": csrf_token(phone, url), "photo": (io.BytesIO(data), filename)}
    # Built by hand to close the body: the test client spools a large one to a temporary
    # file and leaves it open.
    environ = EnvironBuilder(path=url, method="POST", data=form).get_environ()
    try:
        return phone.open(environ)
    finally:
        environ["wsgi.input"].close()


def _get(client: Any, url: str) -> tuple[int, str, str, bytes]:
    with client.get(url) as response:  # a sent file stays open until the response is closed
        return (
            response.status_code,
            response.mimetype,
            response.headers.get("Cache-Control", ""),
            response.data,
        )


def _uploads(app: Any) -> list[Path]:
    folder = app.config["ARENA"].instance_path / "uploads"
    return sorted(folder.iterdir()) if folder.exists() else []


def test_a_disguised_or_oversized_upload_is_refused_and_nothing_changes(app: Any, people: People) -> None:
    phone, url, draw_id = _task(app)
    for data, filename, code in (
        (_encoded("GIF"), "photo.jpg", "photo_type"),
        (b"<svg onload=alert(1)>", "photo.jpeg", "photo_type"),
        (b"\xff\xd8\xff" + b"0" * MAX_PHOTO_BYTES, "big.jpg", "photo_too_large"),
    ):
        refused = _send(phone, url, data, filename)
        assert refused.status_code == 400
        assert f'data-error-code="{code}"' in refused.get_data(as_text=True)
    assert _uploads(app) == []
    with database(app).transaction() as session:
        row = session.get(TaskDraw, draw_id)
        assert row is not None and (row.status, row.proof_image) == ("assigned", "")


def test_a_valid_photo_is_stored_and_shown_only_to_who_may_see_it(app: Any, people: People) -> None:
    phone, url, draw_id = _task(app)
    png = _encoded("PNG")
    assert _send(phone, url, png, "随手拍.gif").status_code == 302  # the name does not matter
    stored = _uploads(app)
    assert len(stored) == 1
    with database(app).transaction() as session:
        row = session.scalar(select(TaskDraw).where(TaskDraw.id == draw_id))
        assert row is not None and row.status == "submitted" and row.proof_image == stored[0].name
    photo = f"/proof/{draw_id}/{stored[0].name}"
    status, mimetype, cache, body = _get(phone, photo)
    assert (status, mimetype, cache) == (200, "image/jpeg", "private, no-store")
    assert body == stored[0].read_bytes() and body != png
    assert _get(staff_client(app, "sec1"), photo)[0] == 200
    assert _get(staff_client(app, "sec2"), photo)[0] == 404
    assert _get(member_client(app, "M002"), photo)[0] == 404  # same branch, not the holder
    assert _get(member_client(app, "M003"), photo)[0] == 404
    assert _get(app.test_client(), photo)[0] == 404
    assert _get(phone, f"/proof/{draw_id}/..%2F..%2Fsecret_key")[0] == 404
