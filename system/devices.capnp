# The device test system: devtest holds one virtio-net device's BAR 4, its
# interrupt and a DMA pool, minted by init from these grants, and the
# DeviceManager and ProcessSpawner for its pool-limit and MSI-X checks.
@0x9e8d7c6b5a4f3e21;

using Capos = import "../schema/capos.capnp";

const manifest :Capos.SystemManifest = (
  services = [
    ( name = "devtest",
      binary = "devtest",
      grants = [
        (name = "console", source = (kernel = console)),
        (name = "bar4", source = (device = (vendor = 0x1af4, device = 0x1041,
                                            resource = (mmio = 4)))),
        (name = "irq", source = (device = (vendor = 0x1af4, device = 0x1041,
                                           resource = (interrupt = void)))),
        (name = "pool", source = (device = (vendor = 0x1af4, device = 0x1041,
                                            resource = (dmaPool = 16)))),
        # For the pool limit and the BAR holding the MSI-X table, and to
        # start the child that reads that table.
        (name = "deviceManager", source = (kernel = deviceManager)),
        (name = "processSpawner", source = (kernel = processSpawner)) ] ),
    ( name = "nodevice",
      binary = "devtest",
      grants = [
        (name = "console", source = (kernel = console)),
        (name = "bar4", source = (device = (vendor = 0x1af4, device = 0x1041,
                                            index = 1,
                                            resource = (mmio = 4)))) ] ),
    # A device's interrupt goes to one holder at a time.
    ( name = "twoirq",
      binary = "devtest",
      grants = [
        (name = "console", source = (kernel = console)),
        (name = "irq", source = (device = (vendor = 0x1af4, device = 0x1041,
                                           resource = (interrupt = void)))),
        (name = "irq2", source = (device = (vendor = 0x1af4, device = 0x1041,
                                            resource = (interrupt = void)))) ] )
  ],
  kernelParams = (logLevel = debug)
);
