"""The respond service: sends agents' and help desks' replies through each platform."""
