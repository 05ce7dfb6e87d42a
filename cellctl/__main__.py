from cellctl.main import run

run()
