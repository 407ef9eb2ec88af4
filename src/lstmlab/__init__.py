"""lstmlab: learn and study how an LSTM learns sequences."""

__version__ = "0.1.0"

from lstmlab.config import Config as Config
from lstmlab.data import Dataset as Dataset
from lstmlab.data import Patterns as Patterns
from lstmlab.data import make_dataset as make_dataset
from lstmlab.data import read_sequence as read_sequence
from lstmlab.errors import ConfigError as ConfigError
from lstmlab.errors import DataError as DataError
from lstmlab.errors import LstmlabError as LstmlabError
from lstmlab.errors import ModelFileError as ModelFileError
from lstmlab.experiments import EXPERIMENTS as EXPERIMENTS
from lstmlab.experiments import load_config as load_config
from lstmlab.generation import generate as generate
from lstmlab.generation import next_probabilities as next_probabilities
from lstmlab.generation import seeded_generations as seeded_generations
from lstmlab.heatmap import save_heatmap as save_heatmap
from lstmlab.inspection import Inspection as Inspection
from lstmlab.inspection import inspect as inspect
from lstmlab.model import Model as Model
from lstmlab.model import Prediction as Prediction
from lstmlab.model import models_of as models_of
from lstmlab.model import predict as predict
from lstmlab.persist import load as load
from lstmlab.persist import save as save
from lstmlab.reproduction import reproduce as reproduce
from lstmlab.runner import RunResult as RunResult
from lstmlab.runner import run as run
from lstmlab.runtime import enable_compile_cache as enable_compile_cache
from lstmlab.runtime import use_cpu_cores as use_cpu_cores
from lstmlab.seeds import parse_seeds as parse_seeds
from lstmlab.stats import Summary as Summary
from lstmlab.stats import distribution as distribution
from lstmlab.stats import histogram as histogram
from lstmlab.stats import summarize as summarize
from lstmlab.training import make_train as make_train
from lstmlab.training import train as train
