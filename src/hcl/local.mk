# src/hcl
