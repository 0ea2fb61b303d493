"""Every image the course shows has alt text (assets/images.yaml)."""

from __future__ import annotations

from pathlib import Path

from course.content.loader import ContentError, load_yaml

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp"}


def alt_texts(assets: Path) -> dict[str, str]:
    manifest = assets / "images.yaml"
    if not manifest.exists():
        return {}
    data = load_yaml(manifest)
    images = data.get("images") if isinstance(data, dict) else None
    if not isinstance(images, dict):
        raise ContentError(
            manifest, getattr(data, "line", None), "expected a mapping `images:` of file name to alt text"
        )
    return {str(k): str(v or "") for k, v in images.items()}


def check_images(assets: Path) -> list[ContentError]:
    manifest = assets / "images.yaml"
    try:
        alts = alt_texts(assets)
    except ContentError as exc:
        return [exc]
    folder = assets / "images"
    files = sorted(p.name for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES) if folder.exists() else []
    problems = [
        ContentError(folder / name, None, f"image has no alt text in {manifest.name}")
        for name in files
        if not alts.get(name, "").strip()
    ]
    problems += [
        ContentError(manifest, None, f"'{name}' is listed but there is no such file in images/")
        for name in alts
        if name not in files
    ]
    return problems
