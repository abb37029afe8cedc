"""帮办代办: call-back requests from a person to a hall, the hall staff's queue, and the
person told in the inbox when it has been handled.

Exports per module: service (request, queue, mark done), errors.
"""
