from pipeline.cli import run

if __name__ == "__main__":  # pragma: no cover - thin entry point
    run()
