"""The pipeline's services; each imports the shared ``socialcare`` package."""
