"""The command line: parse, call the core, render, exit. Only this layer prints or exits."""
