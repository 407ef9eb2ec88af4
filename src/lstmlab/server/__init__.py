"""The playground: a Starlette app, its guard, trainings, saved models and page."""
