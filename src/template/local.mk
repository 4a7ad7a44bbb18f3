# src/template
