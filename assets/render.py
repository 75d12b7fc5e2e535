"""Render the project's SVG icons to PNGs and a multi-size Windows .ico.

    uv run python assets/render.py                  # rewrite assets/png/ and assets/app.ico
    uv run python assets/render.py --out DIR        # render somewhere else (tests compare)
    uv run python assets/render.py --sheet F.png    # also draw a contact sheet to look at

The SVGs in assets/svg/ are the sources; everything else in assets/ is made
from them by this script, so edit an SVG and re-run rather than touching PNGs.
Rendering uses Qt's own SVG renderer (PySide6.QtSvg), the same engine the tray
GUI ships, so what is checked in is what Qt would draw.
"""

from __future__ import annotations

import argparse
import os
import struct
import sys
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRect, Qt
from PySide6.QtGui import QColor, QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

HERE = Path(__file__).resolve().parent
SVG_DIR = HERE / "svg"

# The application icon, then one icon per tray state (see README.md here).
NAMES = ("app", "trading", "reconnecting", "halted", "terminal-unavailable")
# Windows tray/taskbar sizes at 100-200 % scaling, plus the Explorer and installer sizes.
SIZES = (16, 20, 24, 32, 48, 64, 128, 256)
ICO_NAME = "app"
# The installer's welcome/finish side panel: NSIS's MUI wants a 164 x 314 bitmap.
WIZARD_NAME = "installer-wizard"
WIZARD_SIZE = (164, 314)
# Windows keeps the classic layout readable everywhere (Explorer, NSIS, the loader):
# uncompressed 32-bit bitmaps up to 128 px, a PNG only for the 256 px entry.
ICO_PNG_FROM = 256


def render(svg: Path, size: int, height: int | None = None) -> QImage:
    """Draw one SVG into a transparent size x size (or size x height) ARGB image."""
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise ValueError(f"{svg.name}: not a valid SVG")
    image = QImage(size, size if height is None else height, QImage.Format.Format_ARGB32)
    image.fill(0)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    return image


def _png_bytes(image: QImage) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")  # type: ignore[call-overload]  # the stubs want bytes, Qt wants str
    buffer.close()
    return bytes(data.data())


def _dib_bytes(image: QImage) -> bytes:
    """A 32-bit BGRA device-independent bitmap as an .ico entry wants it."""
    size = image.width()
    argb = image.convertToFormat(image.Format.Format_ARGB32)
    # Format_ARGB32 is BGRA in memory on little-endian machines, which is the DIB order.
    rows = [bytes(argb.constScanLine(y))[: size * 4] for y in range(size)]  # type: ignore[call-overload]
    if sys.byteorder != "little":
        rows = [b"".join(row[i : i + 4][::-1] for i in range(0, len(row), 4)) for row in rows]
    rows.reverse()  # DIB rows run bottom-up
    header = struct.pack(
        "<IiiHHIIiiII", 40, size, size * 2, 1, 32, 0, 0, 0, 0, 0, 0
    )  # height doubled: XOR image then AND mask
    mask_stride = ((size + 31) // 32) * 4
    mask = bytearray()
    for row in rows:
        bits = bytearray(mask_stride)
        for x in range(size):
            if row[x * 4 + 3] == 0:  # fully transparent pixel
                bits[x // 8] |= 0x80 >> (x % 8)
        mask += bits
    return header + b"".join(rows) + bytes(mask)


def ico_bytes(images: dict[int, QImage]) -> bytes:
    """A multi-size .ico from images keyed by pixel size."""
    sizes = sorted(images)
    payloads = [
        _png_bytes(images[s]) if s >= ICO_PNG_FROM else _dib_bytes(images[s]) for s in sizes
    ]
    out = bytearray(struct.pack("<HHH", 0, 1, len(sizes)))
    offset = 6 + 16 * len(sizes)
    for size, payload in zip(sizes, payloads, strict=True):
        dim = 0 if size >= 256 else size  # 0 means 256 in an icon directory
        out += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(payload), offset)
        offset += len(payload)
    for payload in payloads:
        out += payload
    return bytes(out)


def render_all(out: Path) -> list[Path]:
    """Write png/<name>-<size>.png for every icon, <ICO_NAME>.ico and the wizard bitmap."""
    png_dir = out / "png"
    png_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name in NAMES:
        images = {size: render(SVG_DIR / f"{name}.svg", size) for size in SIZES}
        for size, image in images.items():
            path = png_dir / f"{name}-{size}.png"
            path.write_bytes(_png_bytes(image))
            written.append(path)
        if name == ICO_NAME:
            ico = out / f"{ICO_NAME}.ico"
            ico.write_bytes(ico_bytes(images))
            written.append(ico)
    wizard = render(SVG_DIR / f"{WIZARD_NAME}.svg", *WIZARD_SIZE)
    bmp = out / f"{WIZARD_NAME}.bmp"
    # 24-bit, no alpha: what NSIS's welcome and finish pages load.
    if not wizard.convertToFormat(QImage.Format.Format_RGB888).save(str(bmp)):
        raise OSError(f"could not write {bmp}")
    written.append(bmp)
    return written


def contact_sheet(png_dir: Path, dest: Path, zoom: int = 6) -> None:
    """Tray sizes pixel-zoomed, then every icon at actual size, on light and dark strips."""
    tray = (16, 20, 24, 32)  # what the notification area shows at 100-200 % scaling
    pad = 10
    zoomed_w = sum(s * zoom + pad for s in tray)
    actual_w = sum(s + pad for s in SIZES)
    width = pad + max(zoomed_w, actual_w)
    row_h = max(tray) * zoom + pad
    band_h = len(NAMES) * row_h + max(SIZES) + 2 * pad
    sheet = QImage(width, 2 * band_h, QImage.Format.Format_ARGB32)
    painter = QPainter(sheet)
    for band, background in enumerate(("#f3f4f6", "#1f2937")):  # light and dark taskbars
        top = band * band_h
        painter.fillRect(QRect(0, top, width, band_h), QColor(background))
        for row, name in enumerate(NAMES):
            x = pad
            for size in tray:
                icon = QImage(str(png_dir / f"{name}-{size}.png"))
                mode = Qt.TransformationMode.FastTransformation  # keep the pixels visible
                painter.drawImage(
                    x, top + pad + row * row_h, icon.scaled(size * zoom, size * zoom, mode=mode)
                )
                x += size * zoom + pad
        y = top + pad + len(NAMES) * row_h
        x = pad
        for size in SIZES[:5]:
            for row, name in enumerate(NAMES):
                painter.drawImage(
                    x, y + row * (size + 2), QImage(str(png_dir / f"{name}-{size}.png"))
                )
            x += size + pad
        for size in SIZES[5:]:
            painter.drawImage(x, y, QImage(str(png_dir / f"app-{size}.png")))
            x += size + pad
    painter.end()
    sheet.save(str(dest))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="render.py", description="Render assets/svg/*.svg to PNGs and app.ico."
    )
    parser.add_argument("--out", type=Path, default=HERE, help="folder for png/ and app.ico")
    parser.add_argument("--sheet", type=Path, help="also write a contact sheet PNG here")
    args = parser.parse_args(argv)
    # Only the command line makes an application object: a test importing this module
    # must not leave a QGuiApplication behind where pytest-qt expects a QApplication.
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = QGuiApplication.instance() or QGuiApplication([sys.argv[0]])
    try:
        written = render_all(args.out)
        if args.sheet:
            contact_sheet(args.out / "png", args.sheet)
    except (OSError, ValueError) as exc:
        print(f"render.py: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {len(written)} files to {args.out}")
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())
