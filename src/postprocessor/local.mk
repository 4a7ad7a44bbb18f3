# src/postprocessor
