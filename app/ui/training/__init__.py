"""Training in the GUI: settings form, background worker, live plots, runs table, the panel."""
