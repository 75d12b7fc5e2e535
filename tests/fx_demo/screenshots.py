"""Screenshots of ``fx-demo`` for docs/demo.md: ``uv run python -m tests.fx_demo.screenshots``.

- ``demo-console.png``: the live console, run in a tmux pane and rendered
  from ``tmux capture-pane -e`` (text and its colours) with Pillow;
- ``demo-gui.png``: the executor's tray window during the demo, on an Xvfb
  display with trayer as the system tray, grabbed with ImageMagick ``import``.

Needs tmux, Xvfb, trayer, xdotool and ImageMagick (all in .ci/run's package list).
Not a test: the pictures are for people, and a person looks at them.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

OUT = Path(__file__).parents[2] / "docs" / "screenshots"
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf"
BACKGROUND = (24, 26, 33)
FOREGROUND = (215, 218, 224)
COLOURS = {31: (232, 95, 95), 32: (110, 200, 120), 33: (230, 190, 90), 36: (100, 190, 220)}
SGR = re.compile(r"\x1b\[([0-9;]*)m")


def render(ansi: str, path: Path, size: int = 15) -> None:
    """A terminal-looking PNG of ``ansi`` text (SGR colours and bold only)."""
    font, bold = ImageFont.truetype(FONT, size), ImageFont.truetype(BOLD, size)
    lines = ansi.rstrip("\n").split("\n")
    while lines and not SGR.sub("", lines[-1]).strip():
        lines.pop()
    width = max(len(SGR.sub("", line)) for line in lines)
    cell_w, cell_h = int(font.getlength("M")), int(size * 1.45)
    pad = 18
    image = Image.new(
        "RGB", (width * cell_w + 2 * pad, len(lines) * cell_h + 2 * pad + 26), BACKGROUND
    )
    draw = ImageDraw.Draw(image)
    for i, colour in enumerate(((237, 106, 94), (245, 191, 79), (98, 197, 84))):
        draw.ellipse((pad + i * 20, 9, pad + i * 20 + 11, 20), fill=colour)
    for row, line in enumerate(lines):
        x, y = pad, pad + 26 + row * cell_h
        colour, heavy = FOREGROUND, False
        for part in re.split(r"(\x1b\[[0-9;]*m)", line):
            match = SGR.fullmatch(part)
            if match:
                for code in [int(c) for c in (match[1] or "0").split(";") if c]:
                    if code == 0:
                        colour, heavy = FOREGROUND, False
                    elif code == 1:
                        heavy = True
                    elif code in COLOURS:
                        colour = COLOURS[code]
                    elif code in (39,):
                        colour = FOREGROUND
                continue
            for char in part:
                draw.text((x, y), char, font=bold if heavy else font, fill=colour)
                x += cell_w
    image.save(path)


def console_shot() -> None:
    session = "fx-demo-shot"
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", session, "-x", "100", "-y", "34",
         f"cd {Path.cwd()} && {sys.executable} -m fx_demo --headless --port 0 --pace 0.6; "
         "sleep 60"],
        check=True, env=env,
    )  # fmt: skip
    try:
        time.sleep(30)
        ansi = subprocess.run(
            ["tmux", "capture-pane", "-e", "-p", "-t", session],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        render(ansi, OUT / "demo-console.png")
        subprocess.run(["tmux", "send-keys", "-t", session, "C-c"], check=True)
        time.sleep(6)
        ansi = subprocess.run(
            ["tmux", "capture-pane", "-e", "-p", "-t", session],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        tail = ansi.rstrip("\n").split("\n")
        start = max(i for i, line in enumerate(tail) if "recent commands" in line) - 5
        render("\n".join(tail[start:]), OUT / "demo-stopped.png")
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], check=False)


def gui_shot() -> None:
    display = ":91"
    xvfb = subprocess.Popen(["Xvfb", display, "-screen", "0", "1280x820x24"])
    env = {**os.environ, "DISPLAY": display}
    env.pop("QT_QPA_PLATFORM", None)
    procs: list[subprocess.Popen[bytes]] = [xvfb]
    try:
        time.sleep(1)
        procs.append(
            subprocess.Popen(
                [
                    "trayer",
                    "--edge",
                    "top",
                    "--align",
                    "right",
                    "--widthtype",
                    "request",
                    "--height",
                    "24",
                    "--transparent",
                    "false",
                ],
                env=env,
            )
        )
        demo = subprocess.Popen(
            [sys.executable, "-m", "fx_demo", "--gui", "--port", "0", "--pace", "0.6"],
            env=env,
            stdout=subprocess.DEVNULL,
        )
        procs.append(demo)
        time.sleep(25)
        # Between two notification balloons: on Xvfb an overlapped window grabs as black.
        deadline = time.monotonic() + 30
        while _windows(env)[1] and time.monotonic() < deadline:
            time.sleep(0.2)
        main_window = _windows(env)[0]
        subprocess.run(
            ["import", "-display", display, "-window", main_window, str(OUT / "demo-gui.png")],
            check=True,
        )
        demo.send_signal(signal.SIGINT)
        demo.wait(60)
    finally:
        for proc in reversed(procs):
            if proc.poll() is None:
                proc.terminate()
                proc.wait(10)


def _windows(env: dict[str, str]) -> tuple[str, list[str]]:
    """The executor's main window (its largest) and any balloon-sized ones now visible."""
    ids = subprocess.run(
        ["xdotool", "search", "--onlyvisible", "--classname", "fx-executor"],
        capture_output=True, text=True, env=env, check=False,
    ).stdout.split()  # fmt: skip
    sizes = {}
    for window in ids:
        shape = subprocess.run(
            ["xdotool", "getwindowgeometry", "--shell", window],
            capture_output=True, text=True, env=env, check=False,
        ).stdout  # fmt: skip
        values = dict(line.split("=", 1) for line in shape.split() if "=" in line)
        sizes[window] = (int(values.get("WIDTH", 0)), int(values.get("HEIGHT", 0)))
    if not sizes:
        return "root", []
    main = max(sizes, key=lambda w: sizes[w][0] * sizes[w][1])
    balloons = [w for w, (wd, ht) in sizes.items() if w != main and wd >= 150 and ht <= 200]
    return main, balloons


def main() -> None:
    for tool in ("tmux", "Xvfb", "trayer", "import", "xdotool"):
        if shutil.which(tool) is None:
            sys.exit(f"screenshots: {tool} is not installed")
    OUT.mkdir(parents=True, exist_ok=True)
    if "--gui-only" not in sys.argv:
        console_shot()
    gui_shot()
    print(f"written to {OUT}")


if __name__ == "__main__":
    main()
