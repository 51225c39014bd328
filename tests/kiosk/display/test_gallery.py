"""`kiosk gallery`: every screen state as PNGs, at the sizes and languages asked for."""

from __future__ import annotations

from pathlib import Path

import pygame
import pytest

from kiosk.cli import main
from kiosk.display.gallery import sample_views


def test_one_size_in_every_language(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gallery", str(tmp_path / "g"), "--size", "480x800"]) == 0
    names = sorted(p.name for p in (tmp_path / "g").glob("*.png"))
    assert len(names) == 3 * len(sample_views())
    assert "480x800-both-fail-expired.png" in names and "480x800-vi-idle.png" in names
    shot = pygame.image.load(str(tmp_path / "g" / "480x800-vi-idle.png"))
    assert shot.get_size() == (480, 800)
    said = capsys.readouterr().out
    assert said.startswith(f"{len(names)} screens (1 size × 3 languages")


def test_sizes_and_languages_chosen(tmp_path: Path) -> None:
    argv = ["gallery", str(tmp_path), "--size", "800x480", "--size", "1080X1920",
            "--language", "en"]  # fmt: skip
    assert main(argv) == 0
    sizes = {p.name.split("-")[0] for p in tmp_path.glob("*.png")}
    langs = {p.name.split("-")[1] for p in tmp_path.glob("*.png")}
    assert sizes == {"800x480", "1080x1920"} and langs == {"en"}


@pytest.mark.parametrize("size", ["800", "800x", "axb", "640x480", "-1x-1", "8000x4800"])
def test_an_unsupported_size_is_a_usage_error(
    size: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["gallery", str(tmp_path), "--size", size])
    assert exit_.value.code == 2
    assert "--size" in capsys.readouterr().err
    assert not list(tmp_path.glob("*.png"))


def test_an_unwritable_folder_is_said_not_raised(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "file").write_text("x")
    assert main(["gallery", str(tmp_path / "file" / "g"), "--size", "800x480"]) == 1
    assert "kiosk gallery: cannot write" in capsys.readouterr().err
