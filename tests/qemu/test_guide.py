"""The first-service guide (docs/first-service.md) stays true: each code
block that names a file is that file (or, for a fragment, a part of it),
and the system it builds boots and does what the guide says."""
import os
import re

from harness import (BUILD, EXIT_CLEAN, boot, case, expect, expect_line,
                     expect_status, kernel_image)

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
BLOCK = re.compile(r"^```\w+ (file|fragment)=(\S+)\n(.*?)^```$",
                   re.MULTILINE | re.DOTALL)


@case
def first_service_guide_blocks_are_the_tree():
    with open(os.path.join(ROOT, "docs", "first-service.md")) as f:
        guide = f.read()
    blocks = BLOCK.findall(guide)
    expect(None, len(blocks) >= 6, f"only {len(blocks)} named blocks")
    for kind, path, text in blocks:
        with open(os.path.join(ROOT, path)) as f:
            actual = f.read()
        if kind == "file":
            expect(None, text == actual, f"{path} differs from the guide")
        else:
            expect(None, text in actual,
                   f"{path} does not contain the guide's fragment")


@case
def greeter_system_answers_its_client():
    run = boot(kernel=kernel_image(), initrd=os.path.join(BUILD,
               "greeter.pkg"), timeout=60)
    expect_status(run, EXIT_CLEAN)
    expect_line(run, "greeter-client: hello, capOS")
    expect_line(run, "[proof] greeter ok")
    expect_line(run, "[init] greeter exited with status 0")
