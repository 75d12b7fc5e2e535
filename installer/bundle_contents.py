"""What goes into the fx-executor bundle and what is kept out, read by fx-executor.spec.

Kept apart from the spec so tests can check it (tests/installer/test_build_script.py
fails when executor_app starts importing something listed here as excluded).
"""

from __future__ import annotations

import sys

# keyring chooses its backend at run time through entry points, so name every one it
# may pick; the Windows Credential Manager one is what traders actually use.
HIDDEN_IMPORTS = [
    "keyring.backends.Windows",
    "keyring.backends.SecretService",
    "keyring.backends.libsecret",
    "keyring.backends.kwallet",
    "keyring.backends.macOS",
    "keyring.backends.chainer",
    "keyring.backends.fail",
    "keyring.backends.null",
    # pyzmq loads its compiled backend by name.
    "zmq.backend.cython",
]
if sys.platform == "win32":
    # keyring.backends.Windows talks to the Credential Manager through pywin32-ctypes.
    HIDDEN_IMPORTS += ["win32ctypes.pywin32.win32cred", "win32ctypes.core"]

# Distributions whose metadata must travel: importlib.metadata finds the version
# (`--version`) through fx-bridge's, and keyring finds its backends through its own.
METADATA = ["fx-bridge", "keyring"]

# Qt modules the executor never uses; each drags in large libraries (QML, WebEngine, PDF).
QT_EXCLUDES = [
    "PySide6." + name
    for name in (
        "Qt3DAnimation", "Qt3DCore", "Qt3DExtras", "Qt3DInput", "Qt3DLogic", "Qt3DRender",
        "QtBluetooth", "QtCharts", "QtConcurrent", "QtDataVisualization", "QtDesigner",
        "QtGraphs", "QtGraphsWidgets", "QtHelp", "QtHttpServer", "QtLocation", "QtMultimedia",
        "QtMultimediaWidgets", "QtNetworkAuth", "QtNfc", "QtOpenGL", "QtOpenGLWidgets",
        "QtPdf", "QtPdfWidgets", "QtPositioning", "QtQml", "QtQuick", "QtQuick3D",
        "QtQuickControls2", "QtQuickTest", "QtQuickWidgets", "QtRemoteObjects", "QtScxml",
        "QtSensors", "QtSerialBus", "QtSerialPort", "QtSpatialAudio", "QtSql",
        "QtStateMachine", "QtTest", "QtTextToSpeech", "QtUiTools", "QtWebChannel",
        "QtWebEngineCore", "QtWebEngineQuick", "QtWebEngineWidgets", "QtWebSockets",
        "QtWebView", "QtXml",
    )
]  # fmt: skip

# In the development environment, never needed by the executor.
OTHER_EXCLUDES = [
    "tkinter", "matplotlib", "numpy", "PIL", "pytest", "IPython",
    "PyQt5", "PyQt6", "PySide2",  # qasync probes for these
    "brain_server", "mt5_simulator", "fx_demo", "litestar", "uvicorn",
    "yaml",  # only msgspec.yaml would use it, and only when called
]  # fmt: skip

EXCLUDES = QT_EXCLUDES + OTHER_EXCLUDES


def keep_data(dest: str) -> bool:
    """False for data files the bundle can do without.

    Qt's translations only serve its stock dialogs, which the English-only tray GUI
    never shows (about 7 MB).
    """
    dest = dest.replace("\\", "/")
    return not (dest.startswith("PySide6/") and "/translations/" in dest)
