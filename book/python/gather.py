"""The course's practice program (Module 4, "The Busy Chef"), in asyncio.

The book's chapter *Python side by side* (book/src/python.md) shows it next to
examples/gather.rs; tests/book_examples.rs runs both and checks that they print
the same lines in the same order.

    python3 book/python/gather.py        # takes about 2 s
"""

import asyncio


# ANCHOR: program
async def download_file(name, time_to_wait):
    print(f"Starting download of {name}...")
    # Simulate a slow download
    await asyncio.sleep(time_to_wait)
    print(f"Finished download of {name}!")


async def main():
    print("Main Started!")
    # Start both downloads at the same time
    await asyncio.gather(
        download_file("File 1", 2),
        download_file("File 2", 1),
    )
    print("Main Finished!")
# ANCHOR_END: program


# ANCHOR: run
async def timed():
    loop = asyncio.get_running_loop()
    start = loop.time()
    await main()
    return loop.time() - start


took = asyncio.run(timed())
print(
    f"Took {took:.2f} s (the downloads wait 2 s + 1 s = 3 s in all, "
    "but at the same time)"
)
# ANCHOR_END: run
