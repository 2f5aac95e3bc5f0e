"""`resnetc diagram --format tikz`: the figure as LaTeX, escaped, and compiled by pdflatex.

The compile tests run Debian's TeX Live (`texlive-latex-base`, `texlive-pictures`) and are skipped,
saying so, where `pdflatex` is not installed (`.ci/run` installs it). Where poppler-utils is
installed too, each PDF is also rendered to test-artifacts/diagram-NAME.png, to look at.
"""

from __future__ import annotations

import re
import shutil
import string
import subprocess
import sys
from pathlib import Path

import pytest

from resnetc.pipeline import analyze
from resnetc.teach import figure_layout as fl
from resnetc.teach import figure_model as fm
from resnetc.teach import tikz
from resnetc.teach.latex import escape
from tests.conftest import ROOT, unmarked

ARTIFACTS = ROOT / "test-artifacts"
PDFLATEX = shutil.which("pdflatex")
needs_pdflatex = pytest.mark.skipif(
    PDFLATEX is None,
    reason="no pdflatex: the TikZ figures are not compiled"
    " (apt-get install -y texlive-latex-base texlive-pictures)",
)
COMPILED = [
    "spec/resnet18.yaml",
    "spec/resnet50.yaml",
    "spec/resnet152.yaml",
    "spec/resnet20.yaml",
    "spec/resnext50_32x4d.yaml",
    "spec/preact_resnet164.yaml",
]
MM = 72 / 25.4  # PostScript points (what pdfinfo prints) per millimetre


def network(spec: str):
    return analyze((ROOT / spec).read_bytes(), spec).network


def resnetc(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "resnetc", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def pdflatex(tex: Path) -> str:
    """Compile `tex` in its folder; its log, after checking it compiled cleanly."""
    run = subprocess.run(
        [PDFLATEX, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", tex.name],
        cwd=tex.parent,
        capture_output=True,
        text=True,
        timeout=120,
    )
    log = tex.with_suffix(".log").read_text(encoding="latin-1")
    assert run.returncode == 0, log[-3000:]
    assert tex.with_suffix(".pdf").exists()
    for bad in ("Warning", "Overfull", "Underfull", "Missing character", "mktexpk"):
        assert bad not in log + run.stdout, f"{tex.name}: {bad}\n{log[-3000:]}"
    return log


def page_size(pdf: Path) -> tuple[float, float] | None:
    """The page's width and height in millimetres (None without poppler's pdfinfo)."""
    if shutil.which("pdfinfo") is None:
        return None
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    m = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info.stdout)
    assert m, info.stdout
    return float(m.group(1)) / MM, float(m.group(2)) / MM


# ---------------------------------------------------------------- escaping


def test_escape_writes_every_special_character_as_latex() -> None:
    assert escape("conv2_x") == r"conv2\_x"
    assert escape(r"\{}$&#^_%~") == r"$\backslash$$\{$$\}${\char36}\&\#\^{}\_\%\~{}"
    assert escape("<a|b>") == "$<$a$|$b$>$"
    assert escape("7×7, 64") == r"7$\times$7, 64"
    assert escape("a--b") == "a-{}-b" and escape("!`") == "!{`}"
    assert escape("line\nbreak\tand é") == "line break and ?"
    for ch in string.ascii_letters + string.digits + " ,.;:()[]=+*/-!?@":
        assert escape(ch) == ch


def test_no_text_reaches_latex_unescaped() -> None:
    """Every value a TikZ template inserts is escaped unless Python wrote it as LaTeX."""
    from resnetc.teach.latex import Tex, get_template

    template = get_template("diagram.tex.j2")
    out = template.render(title="a_b {c} 100% $x$ #1 \\end{document}", picture=Tex("PICTURE"))
    assert "a\\_b $\\{$c$\\}$ 100\\% {\\char36}x{\\char36} \\#1 $\\backslash$end" in out
    assert "\nPICTURE%\n" in out


# ---------------------------------------------------------------- what is drawn


def test_the_document_wraps_the_picture() -> None:
    net = network("spec/resnet50.yaml")
    body, doc = tikz.picture(net), tikz.document(net)
    assert body.startswith("% resnet50: the feature maps") and "\\documentclass" not in body
    assert body.rstrip().endswith("\\end{tikzpicture}")
    assert "\\begin{tikzpicture}[x=1mm, y=-1mm," in body
    assert body in doc and doc.startswith("% resnet50")
    assert "\\documentclass{article}\n\\usepackage{tikz}\n" in doc
    assert doc.rstrip().endswith("\\end{document}")
    assert doc.isascii() and body.isascii()


def test_the_picture_draws_the_geometry() -> None:
    """Every box of the layout, in millimetres, and nothing else filled with a part's colour."""
    net = network("spec/resnet152.yaml")
    fig = fl.layout(net)
    body = tikz.picture(net)
    drawn = re.findall(
        r"\\filldraw\[rd box, fill=rd\w+\] \(([\d.]+),([\d.]+)\) rectangle \(([\d.]+),([\d.]+)\);",
        body,
    )
    boxes = [b for p in fig.parts for b in p.boxes]
    assert len(drawn) == len(boxes)
    for (x0, y0, x1, y1), box in zip(drawn, boxes, strict=True):
        assert float(x0) == pytest.approx(box.x, abs=0.006)
        assert float(y0) == pytest.approx(box.y, abs=0.006)
        assert float(x1) - float(x0) == pytest.approx(box.w, abs=0.011)
        assert float(y1) - float(y0) == pytest.approx(box.h, abs=0.011)
    w, h = (f"{v:.2f}".rstrip("0").rstrip(".") for v in (fig.width, fig.height))
    assert f"\\path[use as bounding box] (0,0) rectangle ({w},{h});" in body


def test_stages_cells_sizes_counts_and_shortcuts() -> None:
    body = tikz.picture(network("spec/resnet152.yaml"))
    assert "{conv4\\_x}" in body  # the stage's name, escaped
    assert "{1$\\times$1, 1024}" in body and "{$\\times$36}" in body  # its cell
    assert "{1024$\\times$14$\\times$14}" in body  # its output size
    assert "{$\\times$1}" in body and "{$\\times$35}" in body  # folded: 1 + 35 blocks
    assert body.count("rd arc, rd projection") == 4 + 1  # one per stage, and the legend's
    assert "rd arc, rd zeropad" not in body
    assert fm.Scale(8, 256).words().replace("×", "") in body.replace("$\\times$", "")
    cifar = tikz.picture(network("spec/resnet20.yaml"))
    assert cifar.count("rd arc, rd zeropad") == 2 + 1 and cifar.count("{A}") == 2 + 1
    assert "{option A: zero-padding shortcut}" in cifar


def test_deterministic() -> None:
    assert tikz.document(network("spec/resnet50.yaml")) == tikz.document(
        network("spec/resnet50.yaml")
    )


def test_cli(tmp_path: Path) -> None:
    doc, body = tmp_path / "r.tex", tmp_path / "body.tex"
    spec = "spec/resnet18.yaml"
    assert resnetc("diagram", spec, "--format", "tikz", "-o", str(doc)).returncode == 0
    assert (
        resnetc("diagram", spec, "--format", "tikz", "--tikz-body", "-o", str(body)).returncode == 0
    )
    net = network("spec/resnet18.yaml")
    assert unmarked(doc.read_text()) == tikz.document(net)
    assert unmarked(body.read_text()) == tikz.picture(net)
    run = resnetc("diagram", "spec/resnet18.yaml", "--tikz-body")
    assert run.returncode == 2 and "--tikz-body needs --format tikz" in run.stderr
    assert run.stdout == ""
    run = resnetc("diagram", "spec/resnet18.yaml", "--format", "png")
    assert run.returncode == 2 and "invalid choice" in run.stderr


# ---------------------------------------------------------------- pdflatex


@needs_pdflatex
@pytest.mark.parametrize("spec", COMPILED)
def test_the_document_compiles_with_pdflatex(spec: str, tmp_path: Path) -> None:
    net = network(spec)
    tex = tmp_path / f"{net.name}.tex"
    tex.write_text(tikz.document(net), encoding="utf-8")
    pdflatex(tex)
    pdf = tex.with_suffix(".pdf")
    fig = fl.layout(net)
    size = page_size(pdf)
    if size is not None:  # the page is the figure: no margin, no cut
        assert size[0] == pytest.approx(fig.width, abs=0.05)
        assert size[1] == pytest.approx(fig.height, abs=0.05)
    if shutil.which("pdftoppm"):
        ARTIFACTS.mkdir(exist_ok=True)
        out = ARTIFACTS / f"diagram-{net.name}"
        subprocess.run(["pdftoppm", "-png", "-r", "150", "-singlefile", str(pdf), str(out)],
                       check=True, timeout=60)  # fmt: skip
        assert out.with_suffix(".png").stat().st_size > 10_000


@needs_pdflatex
def test_the_body_inputs_into_a_paper(tmp_path: Path) -> None:
    (tmp_path / "figure.tex").write_text(tikz.picture(network("spec/resnet50.yaml")))
    paper = tmp_path / "paper.tex"
    paper.write_text(
        "\\documentclass{article}\n\\usepackage{tikz}\n\\begin{document}\n"
        "\\begin{figure}\\resizebox{\\linewidth}{!}{\\input{figure.tex}}\n"
        "\\caption{ResNet-50.}\\end{figure}\n\\end{document}\n"
    )
    pdflatex(paper)


def hostile(net):
    """`net` renamed, and its stages, with every LaTeX special character (the spec's own rules
    forbid these names; the figure must not depend on that)."""
    stages = tuple(
        s.model_copy(update={"name": f"{s.name}_#$%&{{}}~^\\end{{tikzpicture}}"})
        for s in net.stages
    )
    return net.model_copy(update={"name": "a_b%c$d&e#f{g}h~i^j\\k<l>m|n", "stages": stages})


def test_names_are_escaped() -> None:
    body = tikz.picture(hostile(network("spec/resnet18.yaml")))
    assert "a\\_b\\%c{\\char36}d\\&e\\#f$\\{$g$\\}$h\\~{}i\\^{}j$\\backslash$k$<$l$>$m$|$n" in body
    assert body.count("\\end{tikzpicture}") == 1


@needs_pdflatex
def test_hostile_names_compile(tmp_path: Path) -> None:
    tex = tmp_path / "hostile.tex"
    tex.write_text(tikz.document(hostile(network("spec/resnet18.yaml"))))
    pdflatex(tex)
    if shutil.which("pdftotext"):
        read = subprocess.run(["pdftotext", str(tex.with_suffix(".pdf")), "-"],
                              capture_output=True, text=True, check=True)  # fmt: skip
        # printed as written (OT1 draws `_` as a rule, which pdftotext reads as a space)
        assert "%c$d&e#f{g}h" in read.stdout and "j\\k<l>m|n: 11,689,512" in read.stdout
        assert "#$%&{}" in read.stdout and "end{tikzpicture}" in read.stdout


@needs_pdflatex
def test_escaped_text_prints_as_written(tmp_path: Path) -> None:
    """Every printable ASCII character but the quotes and accents OT1 draws its own way."""
    if shutil.which("pdftotext") is None:
        pytest.skip("no pdftotext (apt-get install -y poppler-utils): the text is not read back")
    text = "".join(ch for ch in string.printable[:94] if ch not in "\"'`^~_")
    chunks = [text[i : i + 12] for i in range(0, len(text), 12)]
    nodes = "".join(
        f"\\node[anchor=base west, font=\\sffamily] at (0,{-i}) {{{escape(c)}}};\n"
        for i, c in enumerate(chunks)
    )
    tex = tmp_path / "t.tex"
    tex.write_text(
        "\\documentclass{article}\n\\usepackage{tikz}\n\\begin{document}\n"
        f"\\begin{{tikzpicture}}\n{nodes}\\end{{tikzpicture}}\n\\end{{document}}\n"
    )
    pdflatex(tex)
    read = subprocess.run(["pdftotext", str(tex.with_suffix(".pdf")), "-"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    assert [line for line in read.stdout.split("\n") if line.strip()][: len(chunks)] == chunks
