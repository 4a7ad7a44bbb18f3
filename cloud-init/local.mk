# cloud-init: NoCloud seeds and the cidata ISO
