"""`ampctl upgrade`: a fleet's chart version changed in waves, gated by doctor, recorded AWS-side."""
