"""Translation of validated functions to Python source and code objects."""
