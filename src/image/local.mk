# src/image
