# src/hcl: the HCL language — values, types, conversions, evaluation, functions
