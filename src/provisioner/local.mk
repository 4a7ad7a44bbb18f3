# src/provisioner
