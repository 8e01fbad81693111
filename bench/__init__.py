"""Side-by-side benchmark harness: Rucket against its peers and two ceilings."""
