"""Seeing gradient flow: graph drawings with the cell-state belt and gradient magnitudes."""

from .flow import GradientFlow, decay_rate, gradient_norms, plot_gradient_flow
from .graph import HIGHLIGHTS, Drawing, GraphIndex, draw_graph, draw_panels
from .renderer import render, render_bytes, renderers
