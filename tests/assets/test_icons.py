"""The rendered icons exist at every declared size, carry a drawing, and match their SVGs."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from PIL import Image, ImageChops, ImageStat

ASSETS = Path(__file__).resolve().parents[2] / "assets"

# Re-rendering on another Qt build may move anti-aliased edge pixels a little; a changed
# shape or colour moves the mean far more than this (one changed stroke is > 5).
MEAN_TOLERANCE = 1.5


def _load_render() -> ModuleType:
    # assets/ is deliberately not a package; load its script by path.
    spec = importlib.util.spec_from_file_location("assets_render", ASSETS / "render.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


RENDER = _load_render()
DECLARED = [(name, size) for name in RENDER.NAMES for size in RENDER.SIZES]


def _mean_difference(a: Image.Image, b: Image.Image) -> float:
    diff = ImageChops.difference(a.convert("RGBA"), b.convert("RGBA"))
    return max(ImageStat.Stat(diff).mean)


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The icons rendered anew from the SVGs, in a separate process (its own QGuiApplication)."""
    out = tmp_path_factory.mktemp("icons")
    subprocess.run(
        [sys.executable, str(ASSETS / "render.py"), "--out", str(out)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return out


def test_every_name_has_an_svg_source() -> None:
    """Each declared icon name, and the installer panel, has its SVG source under assets/svg/."""
    stems = sorted(p.stem for p in (ASSETS / "svg").glob("*.svg"))
    assert stems == sorted([*RENDER.NAMES, RENDER.WIZARD_NAME])


def test_png_folder_holds_exactly_the_declared_files() -> None:
    """assets/png/ has one file per name and size and nothing stale beside them."""
    expected = {f"{name}-{size}.png" for name, size in DECLARED}
    assert {p.name for p in (ASSETS / "png").iterdir()} == expected


@pytest.mark.parametrize(("name", "size"), DECLARED)
def test_png_is_its_declared_size_and_not_blank(name: str, size: int) -> None:
    """Each PNG is size x size RGBA, has transparent and opaque pixels, and a glyph on its tile."""
    with Image.open(ASSETS / "png" / f"{name}-{size}.png") as image:
        assert image.size == (size, size)
        assert image.mode == "RGBA"
        alpha = image.getchannel("A")
        assert alpha.getextrema() == (0, 255)
        alphas = alpha.tobytes()  # one byte per pixel
        covered = alphas.count(255) / (size * size)
        assert 0.5 < covered < 1.0
        # A tile with a glyph: the opaque area holds clearly different light and dark parts.
        lightness = image.convert("L")
        opaque = [v for v, a in zip(lightness.tobytes(), alphas, strict=True) if a == 255]
        assert max(opaque) - min(opaque) > 100


@pytest.mark.parametrize("name", RENDER.NAMES)
def test_pngs_are_up_to_date_with_their_svg(name: str, fresh: Path) -> None:
    """Re-rendering the SVG gives the checked-in PNGs, within anti-aliasing tolerance."""
    for size in RENDER.SIZES:
        file = f"{name}-{size}.png"
        with Image.open(ASSETS / "png" / file) as kept, Image.open(fresh / "png" / file) as new:
            assert _mean_difference(kept, new) < MEAN_TOLERANCE, file


def test_ico_holds_every_size_matching_the_pngs() -> None:
    """app.ico holds the eight sizes, each the same picture as the app PNG of that size."""
    with Image.open(ASSETS / "app.ico") as ico:
        assert ico.format == "ICO"
        assert sorted(ico.info["sizes"]) == [(s, s) for s in RENDER.SIZES]
        for size in RENDER.SIZES:
            entry = ico.ico.getimage((size, size))  # type: ignore[attr-defined]
            with Image.open(ASSETS / "png" / f"app-{size}.png") as png:
                assert entry.size == (size, size)
                assert _mean_difference(entry, png) < MEAN_TOLERANCE, size


def test_ico_is_up_to_date(fresh: Path) -> None:
    """The checked-in app.ico is what render.py writes now."""
    with Image.open(ASSETS / "app.ico") as kept, Image.open(fresh / "app.ico") as new:
        for size in RENDER.SIZES:
            pair = (
                kept.ico.getimage((size, size)),  # type: ignore[attr-defined]
                new.ico.getimage((size, size)),  # type: ignore[attr-defined]
            )
            assert _mean_difference(*pair) < MEAN_TOLERANCE, size


def test_installer_panel_is_a_24_bit_bitmap_matching_its_svg(fresh: Path) -> None:
    """installer-wizard.bmp is the 164 x 314 24-bit BMP NSIS wants, and up to date."""
    name = f"{RENDER.WIZARD_NAME}.bmp"
    with Image.open(ASSETS / name) as kept, Image.open(fresh / name) as new:
        assert kept.format == "BMP"
        assert kept.mode == "RGB"
        assert kept.size == RENDER.WIZARD_SIZE == (164, 314)
        assert _mean_difference(kept, new) < MEAN_TOLERANCE
        darkest, lightest = kept.convert("L").getextrema()
        assert isinstance(lightest, int)
        assert lightest > 200  # the white line is there
        assert darkest < 160  # on the blue panel


def test_readme_names_every_icon_and_size() -> None:
    """assets/README.md, which the GUI follows, lists every icon name and every size."""
    text = (ASSETS / "README.md").read_text(encoding="utf-8")
    for name in RENDER.NAMES:
        assert f"`{name}`" in text
    assert ", ".join(str(s) for s in RENDER.SIZES) in text


def test_render_rejects_a_broken_svg(tmp_path: Path) -> None:
    """render() refuses an SVG Qt cannot parse instead of writing an empty picture."""
    broken = tmp_path / "broken.svg"
    broken.write_text("<svg", encoding="utf-8")
    with pytest.raises(ValueError, match="not a valid SVG"):
        RENDER.render(broken, 16)
