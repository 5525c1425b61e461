"""Proof photos: checked by their content (never by the file name), re-encoded, stored
under ``instance/uploads/`` with a generated name.

Re-encoding drops whatever rode along in the original (EXIF with GPS position, comments,
a script appended after the image data) and turns the photo upright; the stored file is
always a JPEG we wrote ourselves, no larger than ``MAX_SIDE`` pixels on its long side.
"""

from __future__ import annotations

import io
import secrets
import warnings
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 5 MB file claiming more is a decompression bomb
MAX_SIDE = 2048
ACCEPTED = {"JPEG", "PNG", "WEBP"}
NAME_LENGTH = 32  # hex characters of a stored file's name


class ProofError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _open(data: bytes) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in ACCEPTED:
                raise ProofError("photo_type", "只接受 JPEG、PNG 或 WebP 格式的照片。")
            if image.width * image.height > MAX_PIXELS:
                raise ProofError("photo_too_large", "照片的像素太多，请换一张或先缩小后再上传。")
            image.load()
            return image
    except ProofError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ProofError("photo_type", "只接受 JPEG、PNG 或 WebP 格式的照片。") from None
    except (OSError, ValueError, SyntaxError):  # truncated or corrupt image data
        raise ProofError("photo_corrupt", "照片文件已损坏，无法读取，请重新拍摄或选择。") from None


def store_photo(data: bytes, folder: Path) -> str:
    """Check ``data`` is a JPEG, PNG or WebP photo within the limits, re-encode it and
    store it; returns the generated file name."""
    if not data:
        raise ProofError("photo_empty", "没有收到照片，请重新选择。")
    if len(data) > MAX_PHOTO_BYTES:
        raise ProofError("photo_too_large", "照片不能超过 5 MB。")
    image = ImageOps.exif_transpose(_open(data))
    if image.mode in ("RGBA", "LA", "P"):
        image = image.convert("RGBA")
        flat = Image.new("RGB", image.size, (255, 255, 255))
        flat.paste(image, mask=image.getchannel("A"))
        image = flat
    else:
        image = image.convert("RGB")
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_hex(NAME_LENGTH // 2)}.jpg"
    staging = folder / f".{name}.tmp"
    image.save(staging, "JPEG", quality=85, optimize=True)
    staging.replace(folder / name)
    return name


def photo_path(folder: Path, name: str) -> Path | None:
    """The stored file for ``name``, or None for anything that is not one of our names."""
    stem, _, suffix = name.partition(".")
    if suffix != "jpg" or len(stem) != NAME_LENGTH or any(ch not in "0123456789abcdef" for ch in stem):
        return None
    path = folder / name
    return path if path.is_file() else None
