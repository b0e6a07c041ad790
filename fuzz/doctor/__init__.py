"""Production diagnostics: the doctor's spec model (spec_model.py) and how the doctor is run (runner.py).

The doctor's oracles are fuzz/oracles/doctor.py; its property bodies fuzz/properties/doctor.py.
"""
