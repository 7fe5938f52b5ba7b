"""The suite's own types for values in step patterns ({name:Type}).

behave parses a step pattern when its module loads, and loads the step
modules in alphabetical order, so a type must be registered before the first
of them: environment.py, which behave loads before any step module, calls
`register_parameter_types()`.
"""

import json

from behave import register_type


def register_parameter_types():
    # A value written as JSON in the step ("EURUSD", 10, -1.5, null): the
    # order steps send exactly that value, wrong types included.
    register_type(Json=json.loads)
