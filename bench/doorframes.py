"""Door-camera frames of QR codes under named conditions and severities, from seeds."""

from __future__ import annotations

import string
from collections.abc import Callable
from dataclasses import dataclass, replace

import cv2
import numpy as np
import numpy.typing as npt
import segno

Image = npt.NDArray[np.uint8]
Float = npt.NDArray[np.float32]
SIZE = (640, 480)  # the kiosk's decision frame (the camera's low-resolution stream)


@dataclass(frozen=True)
class Look:
    """How one frame is made: the carrier, its pose, the optics, the light and the sensor."""

    carrier: str = "phone-light"  # phone-light, phone-dark, paper
    size: float = 0.42  # the code's width as a share of the frame's height
    center: tuple[float, float] = (0.5, 0.5)
    angle: float = 0.0  # degrees, in the image plane
    tilt: float = 0.0  # perspective, 0 = flat
    defocus: float = 0.0  # radius of the lens's blur disc, px
    motion: float = 0.0  # length of the motion streak, px
    motion_angle: float = 0.0
    glare: float = 0.0  # radius of a saturated reflection, as a share of the code's width
    noise: float = 2.5  # sensor noise sigma, in grey levels at full light
    light: float = 1.0  # scene brightness (exposure); low light also lifts the relative noise
    clutter: int = 0  # objects in the scene besides the code


def payloads(n: int, seed: int = 7) -> list[bytes]:
    """Codes a kiosk meets: signed passes (KP1, ~150-260 characters) and CCCD-like ID codes."""
    rng = np.random.default_rng(seed)
    alphabet = string.ascii_letters + string.digits + "-_"
    out = []
    for i in range(n):
        if i % 3 == 2:
            fields = [
                "".join(rng.choice(list(string.digits), 12)),
                "".join(rng.choice(list(string.digits), 9)),
                "Nguyen Van " + "".join(rng.choice(list(string.ascii_uppercase), 4)),
                "".join(rng.choice(list(string.digits), 8)),
                "Nam",
                "So " + str(int(rng.integers(1, 999))) + " Duong Lang, Dong Da, Ha Noi",
                "".join(rng.choice(list(string.digits), 8)),
            ]
            out.append("|".join(fields).encode())
        else:
            body = "".join(rng.choice(list(alphabet), int(rng.integers(150, 260))))
            out.append(("KP1:" + body).encode())
    return out


def _code(payload: bytes) -> Float:
    """The symbol, 1 px per module, 1.0 for dark modules, with a 4-module quiet zone."""
    qr = segno.make(payload, error="m", micro=False)
    matrix = np.array([list(row) for row in qr.matrix], dtype=np.float32)
    return np.pad(matrix, 4)


def _carrier(code: Float, kind: str, rng: np.random.Generator) -> tuple[Float, float]:
    """The phone screen or sheet of paper holding the code, 8 px per module; and the share of
    its width the code (with quiet zone) takes."""
    px = 8
    sym = np.kron(code, np.ones((px, px), np.float32))
    side = sym.shape[0]
    if kind == "paper":
        pad = int(side * 0.12)
        sheet = np.full((side + 2 * pad, side + 2 * pad), 215.0, np.float32)
        sheet += rng.normal(0, 4, sheet.shape).astype(np.float32)  # fibre, uneven ink
        ink = 45.0
        sheet[pad : pad + side, pad : pad + side] -= sym * (215.0 - ink)
        return sheet, side / sheet.shape[1]
    dark = kind == "phone-dark"
    screen_bg, module = (28.0, 215.0) if dark else (235.0, 20.0)
    bezel = int(side * 0.06)
    margin_x, margin_y = int(side * 0.08), int(side * 0.35)  # a tall screen, code in the middle
    h, w = side + 2 * margin_y, side + 2 * margin_x
    screen = np.full((h, w), screen_bg, np.float32)
    if dark:  # dark mode: light modules on a dark screen, the quiet zone dark too
        screen[margin_y : margin_y + side, margin_x : margin_x + side] = np.where(
            sym > 0, screen_bg, module
        )
    else:
        screen[margin_y : margin_y + side, margin_x : margin_x + side] -= sym * (screen_bg - module)
    # The app's header bar and the holder's name above and below the code.
    screen[: margin_y // 3, :] = 90.0 if not dark else 60.0
    cv2.putText(screen, "Nguyen V** A", (margin_x, margin_y + side + margin_y // 3),
                cv2.FONT_HERSHEY_SIMPLEX, side / 300, (module,), max(1, side // 120))  # fmt: skip
    phone = np.full((h + 2 * bezel, w + 2 * bezel), 15.0, np.float32)
    phone[bezel : bezel + h, bezel : bezel + w] = screen
    return phone, side / phone.shape[1]


def _scene(rng: np.random.Generator, clutter: int) -> Float:
    """A doorway: a lit wall with a gradient, a door frame, and `clutter` objects."""
    w, h = SIZE
    x = np.linspace(0, 1, w, dtype=np.float32)
    y = np.linspace(0, 1, h, dtype=np.float32)[:, None]
    a, b, c = rng.uniform(80, 170), rng.uniform(-40, 40), rng.uniform(-30, 30)
    img = np.clip(a + b * x + c * y, 0, 255).astype(np.float32)
    fx = int(rng.integers(20, w // 4))
    cv2.rectangle(
        img, (fx, 0), (fx + int(rng.integers(10, 30)), h), (float(rng.uniform(30, 90)),), -1
    )
    for _ in range(clutter):
        _clutter_item(img, rng)
    return img


def _clutter_item(img: Float, rng: np.random.Generator) -> None:
    """One thing a camera at a door sees besides the code: a sign, a poster, a shirt's print."""
    h, w = img.shape
    x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
    v = float(rng.uniform(0, 255))
    kind = int(rng.integers(0, 7))
    if kind == 0:
        text = "".join(rng.choice(list(string.ascii_uppercase + " 0123456789"), 12))
        cv2.putText(img, text, (x, y), cv2.FONT_HERSHEY_SIMPLEX, float(rng.uniform(0.4, 1.6)), (v,),
                    int(rng.integers(1, 4)))  # fmt: skip
    elif kind == 1:
        s = int(rng.integers(10, 120))
        cv2.rectangle(img, (x, y), (x + s, y + int(rng.integers(10, 120))), (v,), -1)
    elif kind == 2:
        cv2.circle(img, (x, y), int(rng.integers(5, 60)), (v,), int(rng.integers(-1, 6)))
    elif kind == 3:  # stripes: a 1D barcode, a striped shirt
        for i in range(int(rng.integers(8, 30))):
            xi = x + i * int(rng.integers(2, 6))
            cv2.line(
                img, (xi, y), (xi, y + 50), (255 - v if i % 2 else v,), int(rng.integers(1, 4))
            )
    elif kind == 4:  # a checkerboard patch (a tiled floor, a printed pattern)
        s = int(rng.integers(3, 12))
        for i in range(8):
            for j in range(8):
                if (i + j) % 2:
                    cv2.rectangle(img, (x + i * s, y + j * s), (x + i * s + s, y + j * s + s),
                                  (v,), -1)  # fmt: skip
    elif kind == 5:  # finder-pattern lookalikes: concentric squares (logos, window frames)
        m = int(rng.integers(2, 8))
        for k, val in ((7, 20.0), (5, 235.0), (3, 20.0)):
            o = (7 - k) * m // 2
            cv2.rectangle(img, (x + o, y + o), (x + o + k * m, y + o + k * m), (val,), -1)
    else:  # random blocks: halftone print, a shelf of boxes
        m = int(rng.integers(2, 7))
        n = int(rng.integers(8, 30))
        block = (rng.random((n, n)) > 0.5).astype(np.float32) * 215 + 20
        big = np.kron(block, np.ones((m, m), np.float32))
        bh, bw = min(big.shape[0], h - y), min(big.shape[1], w - x)
        img[y : y + bh, x : x + bw] = big[:bh, :bw]


def _disc(radius: float) -> Float:
    r = int(np.ceil(radius))
    yy, xx = np.mgrid[-r : r + 1, -r : r + 1].astype(np.float32)
    k = np.clip(radius + 0.5 - np.hypot(xx, yy), 0, 1).astype(np.float32)
    return np.asarray(k / k.sum(), np.float32)


def _streak(length: float, angle: float) -> Float:
    n = int(np.ceil(length)) | 1
    k = np.zeros((n, n), np.float32)
    c = n // 2
    dx, dy = np.cos(np.deg2rad(angle)) * length / 2, np.sin(np.deg2rad(angle)) * length / 2
    cv2.line(k, (round(c - dx), round(c - dy)), (round(c + dx), round(c + dy)),
             (1.0,), 1)  # fmt: skip
    return np.asarray(k / k.sum(), np.float32)


def render(payload: bytes | None, look: Look, seed: int) -> Image:
    """One 640×480 greyscale frame: the code (or none) as `look` says, noise from `seed`."""
    rng = np.random.default_rng(seed)
    w, h = SIZE
    img = _scene(rng, look.clutter)
    if payload is not None:
        carrier, share = _carrier(_code(payload), look.carrier, rng)
        ch, cw = carrier.shape
        width = look.size * h / share  # the carrier's width in frame pixels
        height = width * ch / cw
        cx, cy = look.center[0] * w, look.center[1] * h
        hw, hh = width / 2, height / 2
        corners = np.array([[-hw, -hh], [hw, -hh], [hw, hh], [-hw, hh]], np.float32)
        corners[1:3, 1] *= 1 - look.tilt  # one edge further from the camera
        corners[[0, 3], 1] *= 1 + look.tilt
        t = np.deg2rad(look.angle)
        rot = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]], np.float32)
        dst = (corners @ rot.T + np.array([cx, cy], np.float32)).astype(np.float32)
        src = np.array([[0, 0], [cw, 0], [cw, ch], [0, ch]], np.float32)
        m = np.asarray(cv2.getPerspectiveTransform(src, dst), np.float64)
        warped = cv2.warpPerspective(carrier, m, SIZE, flags=cv2.INTER_AREA, borderValue=(-1.0,))
        mask = cv2.warpPerspective(np.ones_like(carrier), m, SIZE, flags=cv2.INTER_LINEAR)
        img = (mask * warped + (1 - mask) * img).astype(np.float32)
        if look.glare > 0:
            # A reflection of a ceiling light on the screen or a glossy sleeve: saturating.
            side = look.size * h
            gx = cx + float(rng.uniform(-0.25, 0.25)) * side
            gy = cy + float(rng.uniform(-0.25, 0.25)) * side
            yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
            r = look.glare * side
            blob = np.exp(-((((xx - gx) / r) ** 2 + ((yy - gy) / (0.6 * r)) ** 2) ** 2))
            img = img + blob.astype(np.float32) * 400.0
    img = np.clip(img, 0, 255) * look.light  # the sensor clips; exposure scales what is left
    if look.defocus > 0:
        img = np.asarray(
            cv2.filter2D(img, -1, _disc(look.defocus), borderType=cv2.BORDER_REFLECT), np.float32
        )
    if look.motion > 0:
        kernel = _streak(look.motion, look.motion_angle)
        img = np.asarray(cv2.filter2D(img, -1, kernel, borderType=cv2.BORDER_REFLECT), np.float32)
    # Shot noise grows as the square root of the light; read noise stays: dim frames are noisy.
    sigma = look.noise * np.sqrt(max(look.light, 0.05)) + 1.0
    img = img + rng.normal(0, sigma, img.shape).astype(np.float32)
    return np.asarray(np.clip(img, 0, 255).astype(np.uint8))


Jitter = Callable[[np.random.Generator, Look], Look]


def _held(rng: np.random.Generator, look: Look) -> Look:
    """A code held up by hand: near the middle, slightly turned and tilted."""
    return replace(
        look,
        center=(float(rng.uniform(0.35, 0.65)), float(rng.uniform(0.38, 0.62))),
        angle=look.angle + float(rng.uniform(-12, 12)),
        tilt=look.tilt + float(rng.uniform(0, 0.06)),
        size=look.size * float(rng.uniform(0.9, 1.1)),
        carrier=look.carrier
        if look.carrier != "any"
        else str(rng.choice(["phone-light", "phone-dark", "paper"], p=[0.5, 0.2, 0.3])),
        motion_angle=float(rng.uniform(0, 180)),
    )


@dataclass(frozen=True)
class Condition:
    name: str
    severity: str
    look: Look
    code: bool = True


def conditions() -> list[Condition]:
    """What a door camera meets, each at a few severities; `code=False` rows have no code."""
    base = Look(carrier="any")
    rows = [
        Condition("phone light", "-", replace(base, carrier="phone-light")),
        Condition("phone dark", "-", replace(base, carrier="phone-dark")),
        Condition("paper", "-", replace(base, carrier="paper")),
    ]
    for sev, (a, t) in zip(
        ("30°/0.1", "45°/0.2", "60°/0.3"), ((30, 0.1), (45, 0.2), (60, 0.3)), strict=True
    ):
        rows.append(Condition("angle", sev, replace(base, angle=a, tilt=t)))
    for sev, s in (("0.28", 0.28), ("0.20", 0.20), ("0.14", 0.14)):
        rows.append(Condition("distance (code/frame height)", sev, replace(base, size=s)))
    for sev, r in (("r=1.5", 1.5), ("r=2.5", 2.5), ("r=3.5", 3.5), ("r=4.5", 4.5)):
        rows.append(Condition("focus blur (disc radius px)", sev, replace(base, defocus=r)))
    for sev, n in (("4 px", 4.0), ("8 px", 8.0), ("12 px", 12.0), ("18 px", 18.0)):
        rows.append(Condition("motion blur (streak)", sev, replace(base, motion=n)))
    for sev, g in (("0.15", 0.15), ("0.25", 0.25), ("0.35", 0.35)):
        rows.append(Condition("glare (radius/code)", sev, replace(base, glare=g)))
    for sev, n in (("σ=10", 10.0), ("σ=20", 20.0), ("σ=30", 30.0)):
        rows.append(Condition("noise", sev, replace(base, noise=n)))
    for sev, li in (("×0.35", 0.35), ("×0.2", 0.2), ("×0.1", 0.1)):
        rows.append(Condition("low light", sev, replace(base, light=li, noise=4.0)))
    for sev, c in (("10", 10), ("30", 30)):
        rows.append(Condition("clutter (objects)", sev, replace(base, clutter=c)))
    rows.append(Condition("blur + small + dim", "r=2, 0.2, ×0.4",
                          replace(base, defocus=2.0, size=0.2, light=0.4)))  # fmt: skip
    rows += [
        Condition("no code: doorway", "-", Look(), code=False),
        Condition("no code: clutter", "30", Look(clutter=30), code=False),
        Condition(
            "no code: clutter, dim, noisy", "30", Look(clutter=30, light=0.3, noise=8), code=False
        ),
    ]
    return rows


def frames(cond: Condition, n: int, seed: int) -> list[tuple[bytes | None, Image]]:
    """`n` frames of `cond`, the same for the same seed: (the payload shown or None, frame)."""
    rng = np.random.default_rng(seed)
    codes = payloads(n, seed)
    out: list[tuple[bytes | None, Image]] = []
    for i in range(n):
        look = _held(rng, cond.look)
        payload = codes[i] if cond.code else None
        out.append((payload, render(payload, look, seed * 1000 + i)))
    return out


def held_stream(n: int, seed: int) -> tuple[bytes, list[Image]]:
    """`n` consecutive frames of one code held up: the same hand, the same (soft) focus, each
    frame with its own shake, from none to a strong streak."""
    rng = np.random.default_rng(seed)
    (payload,) = payloads(1, seed)
    look = _held(rng, Look(carrier="any", defocus=float(rng.uniform(2.0, 3.5))))
    out = []
    for i in range(n):
        shake = float(rng.choice([0.0, 2.0, 4.0, 8.0, 12.0], p=[0.15, 0.2, 0.25, 0.25, 0.15]))
        cx, cy = look.center
        moved = replace(
            look,
            center=(cx + float(rng.normal(0, 0.005)), cy + float(rng.normal(0, 0.005))),
            motion=shake,
            motion_angle=float(rng.uniform(0, 180)),
        )
        out.append(render(payload, moved, seed * 1000 + i))
    return payload, out
