"""Built-in analyzer plugins, one subpackage each."""
