# src/builder: builders that are not qemu (null)
