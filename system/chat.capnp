# The chat demo (make run-chat): a chat service with a bot and two
# clients, one of them trying to speak for the other, and hello.
# Everything ends by itself: the clients say goodbye, the bot leaves after
# both goodbyes, the chat server ends when no client is left, and init
# halts the machine.
@0x84d234a92f909ff2;

using Capos = import "../schema/capos.capnp";
using Chat = import "../schema/chat.capnp";

const manifest :Capos.SystemManifest = (
  services = [
    ( name = "chat",
      binary = "chat",
      grants = [ (name = "console", source = (kernel = console)) ],
      exports = [ (name = "chat", interfaceId = Chat.chatInterface) ] ),
    ( name = "chat-bot",
      binary = "chat-bot",
      grants = [ (name = "console", source = (kernel = console)),
                 (name = "chat",
                  source = (serviceExport = (service = "chat", export = "chat"))) ],
      args = ["2"] ),
    ( name = "alice",
      binary = "chat-client",
      grants = [ (name = "console", source = (kernel = console)),
                 (name = "chat",
                  source = (serviceExport = (service = "chat", export = "chat"))) ],
      args = ["alice"] ),
    ( name = "mallory",
      binary = "chat-client",
      grants = [ (name = "console", source = (kernel = console)),
                 (name = "chat",
                  source = (serviceExport = (service = "chat", export = "chat"))) ],
      args = ["mallory", "impostor"] ),
    ( name = "hello",
      binary = "hello",
      grants = [ (name = "console", source = (kernel = console)) ],
      restart = never )
  ],
  kernelParams = (logLevel = info)
);
