"""Sphinx configuration: API reference from docstrings (numpydoc) and the tutorials (sphinx-gallery).

Build with::

    pip install -e ".[docs]"
    sphinx-build -b html docs docs/_build/html
"""

import os
import sys

sys.path.insert(0, os.path.abspath(".."))
os.environ.setdefault("MPLBACKEND", "Agg")

project = "mne_nmm"
author = "mne_nmm developers"
copyright = "2026, mne_nmm developers"

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]
autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": False, "show-inheritance": True}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
templates_path = ["_templates"]
exclude_patterns = ["_build", "auto_tutorials/*.ipynb"]
html_theme = "pydata_sphinx_theme" if __import__("importlib").util.find_spec("pydata_sphinx_theme") else "alabaster"
intersphinx_mapping = {
    "python": ("https://docs.python.org/3", None),
    "numpy": ("https://numpy.org/doc/stable", None),
    "mne": ("https://mne.tools/stable", None),
    "nilearn": ("https://nilearn.github.io/stable", None),
    "jax": ("https://docs.jax.dev/en/latest", None),
}
sphinx_gallery_conf = {
    "examples_dirs": ["../tutorials"],
    "gallery_dirs": ["auto_tutorials"],
    "filename_pattern": r"/\d\d_",
    "download_all_examples": False,
    "plot_gallery": "True",
}
