"""Neural-network building blocks with ``torch.nn``'s names, shapes and parameter layouts."""

from . import functional, init, utils
from .cells import (
    GREFF_VARIANTS,
    CIFGLSTMCell,
    GreffLSTMCell,
    GRUCell,
    LSTMCell,
    PeepholeLSTMCell,
    RecurrentCell,
    RNNCell,
)
from .layers import Dropout, Embedding, LayerNorm, Linear, ReLU, Sigmoid, Tanh
from .loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, NLLLoss
from .module import Module, Parameter, Sequential
from .rnn import CIFGLSTM, GRU, LSTM, RNN, GreffLSTM, PeepholeLSTM, RecurrentLayer, last_steps
