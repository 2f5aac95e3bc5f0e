"""What the network figure is made of: the shapes `figure_layout` places, in millimetres, and the
styles (fonts, line widths, dash patterns, colours) that both renderers draw them with.

x runs to the right and y downwards from the figure's top-left corner. `diagram` (SVG) and `tikz`
(LaTeX) draw these and nothing else, so the two figures are one geometry.
"""

from __future__ import annotations

from dataclasses import dataclass, field

PT = 25.4 / 72.27
"""Millimetres per TeX point."""

FONT_PT = {"heading": 9, "name": 7, "text": 7, "small": 6}
"""Font size of each text role, in points (bold: heading and name)."""
BOLD = frozenset({"heading", "name"})
MARK = 1.4  # the square on a projection arc
HEAD_LEN, HEAD_WIDTH = 1.6, 1.3  # arrow heads
MIN_SIDE = 0.5
"""No box is drawn thinner or lower than this, in millimetres."""

STROKE = {"line": 0.3, "arc": 0.3, "box": 0.12, "frame": 0.2, "bracket": 0.16, "mark": 0.2}
"""Line widths in millimetres."""
DASH = {"identity": (), "projection": (1.2, 0.8), "zeropad": (0.05, 0.75)}
"""Each shortcut's dash pattern (on, off, in millimetres; round caps make the zero-pad dots)."""

INPUT_COLOUR, STEM_COLOUR, HEAD_COLOUR, LINE_COLOUR = "#6b7280", "#9c755f", "#8064a2", "#7a7a7a"
STAGE_COLOURS = (
    "#2f80c0",
    "#d9730d",
    "#1f9e89",
    "#d1495b",
    "#9b6ad6",
    "#16a34a",
    "#0891b2",
    "#a16207",
)
"""Mid-tone colours (relative luminance 0.1-0.3): at least 3:1 against white and against black."""


@dataclass(frozen=True)
class Box:
    """A rectangle: a feature map to scale, or (`frame`) the shaded column of a stage."""

    x: float
    y: float
    w: float
    h: float
    colour: str


@dataclass(frozen=True)
class Arrow:
    """The main line from `x0` to `x1` at height `y`, its head ending at `x1`."""

    x0: float
    x1: float
    y: float

    @property
    def head(self) -> tuple[tuple[float, float], ...]:
        """The arrow head, a triangle."""
        back = self.x1 - HEAD_LEN
        return ((back, self.y - HEAD_WIDTH / 2), (self.x1, self.y), (back, self.y + HEAD_WIDTH / 2))


@dataclass(frozen=True)
class Arc:
    """A shortcut: a cubic curve from (x0, y) over a box to (x1, y), both controls at `cy`."""

    x0: float
    x1: float
    y: float
    cy: float
    kind: str  # identity, projection, zeropad

    @property
    def apex(self) -> tuple[float, float]:
        """The curve's highest point."""
        return ((self.x0 + self.x1) / 2, self.y + 0.75 * (self.cy - self.y))


@dataclass(frozen=True)
class Label:
    """A line of text: `x` is its centre (or its left end, for `anchor` start), `y` its baseline."""

    x: float
    y: float
    text: str
    role: str = "text"  # heading, name, text, small
    anchor: str = "middle"


@dataclass
class Part:
    """One part of the network (input, conv1, pool, a stage, head): everything drawn for it."""

    key: str
    title: str
    colour: str
    frame: Box | None = None
    boxes: list[Box] = field(default_factory=list)
    arrows: list[Arrow] = field(default_factory=list)
    arcs: list[Arc] = field(default_factory=list)
    brackets: list[tuple[tuple[float, float], ...]] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)


@dataclass(frozen=True)
class Scale:
    """The two scales of the drawing."""

    px_per_mm: float
    channels_per_mm: float

    def words(self) -> str:
        """The rule, as the legend states it."""
        return (
            f"To scale: a box is as tall as its map (1 mm = {_num(self.px_per_mm)} pixels) and as"
            f" wide as its channels (1 mm = {_num(self.channels_per_mm)} channels),"
            f" at least {_num(MIN_SIDE)} mm."
        )


@dataclass
class Figure:
    """The whole drawing, in millimetres."""

    width: float
    height: float
    title: str
    desc: str
    heading: Label
    scale: Scale
    parts: list[Part]
    legend_arcs: list[Arc]
    legend_labels: list[Label]


def _num(x: float) -> str:
    return f"{x:g}"
