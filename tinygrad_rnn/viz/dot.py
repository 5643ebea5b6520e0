"""A placed picture (layout.Picture) as DOT, every node pinned where the layout put it, so
that Graphviz, where it is installed, can redraw it unchanged: ``neato -n2 -Tpdf``."""


def _quote(text):
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(picture, positions=True):
    """DOT for ``picture``; ``positions=False`` leaves the layout to Graphviz (a general layout,
    the way drawings were made before they were placed from the graph's structure)."""
    height = picture.height
    graph = f'bb="0,0,{picture.width * 0.75:.1f},{height * 0.75:.1f}"' if positions else "rankdir=LR"
    lines = [
        "digraph tinygrad_rnn {",
        f"  graph [{graph}, splines=true, outputorder=edgesfirst];",
        '  node [fontname="Helvetica", fontsize=8, style=filled, fixedsize=true];',
        "  edge [arrowsize=0.5];",
    ]
    groups = {}
    for box in picture.boxes:
        groups.setdefault(box.block if isinstance(box.block, tuple) and not positions else None, []).append(box)
    for n, (step, boxes) in enumerate(groups.items()):
        if step is not None:  # without positions, a cluster per step, as Graphviz drew them before
            lines.append(f"  subgraph cluster_{n} {{ label={_quote('/'.join(step))};")
        for box in boxes:
            shape = "circle" if box.shape == "circle" else "box"
            style = "filled,dashed" if box.dashed else ("filled,rounded" if box.shape == "round" else "filled")
            lines.append(
                f"  {_quote(box.key)} [label={_quote(box.label)}, shape={shape}, style={_quote(style)},"
                + (f' pos="{box.x * 0.75:.1f},{(height - box.y) * 0.75:.1f}!",' if positions else "")
                + f" width={box.w / 96:.3f}, height={box.h / 96:.3f}, fillcolor={_quote(box.fill)},"
                f" color={_quote(box.stroke)}, fontcolor={_quote(box.color)}, tooltip={_quote(box.tip)}];"
            )
        if step is not None:
            lines.append("  }")
    for link in picture.links:
        if not link.src:
            continue
        color = f"{link.rail}:{link.color}:{link.rail}" if link.rail else link.color
        style = ', style="dashed"' if link.dashed else ""
        lines.append(
            f"  {_quote(link.src)} -> {_quote(link.dst)} [color={_quote(color)},"
            f" penwidth={link.width * 0.75:.2f}, tooltip={_quote(link.tip)}{style}];"
        )
    lines.append("}")
    return "\n".join(lines) + "\n"
