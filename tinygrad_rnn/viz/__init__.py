"""Seeing gradient flow: graph drawings with the cell-state belt and the gradient along
every edge, an interactive page, and per-step gradient norms."""

from .drawing import Drawing, draw_graph, draw_panels, render, render_bytes
from .flow import GradientFlow, decay_rate, gradient_norms, plot_gradient_flow
from .graph import EdgeFlow, GraphIndex, edge_flows
from .view import HIGHLIGHTS
