"""帮办代办: call-back requests from a person to a hall, the hall staff's queue, the person told in the inbox.
Modules: service (request, my requests, the hall's queue, mark done, the phone), errors."""
