# Sends one message the way a bot on Python's smtplib does; a failure is left uncaught, so
# Python prints the traceback itself: the text a support engineer gets pasted.
# Args: plain|starttls|implicit host port user password from to timeout-s ("-" for no user).
import smtplib
import ssl
import sys

mode, host, port, user, password, sender, rcpt, timeout = sys.argv[1:9]
context = ssl.create_default_context()
if mode == "implicit":
    server = smtplib.SMTP_SSL(host, int(port), timeout=float(timeout), context=context)
else:
    server = smtplib.SMTP(host, int(port), timeout=float(timeout))
    if mode == "starttls":
        server.starttls(context=context)
if user != "-":
    server.login(user, password)
server.sendmail(sender, [rcpt], f"From: {sender}\r\nTo: {rcpt}\r\nSubject: smtp-probe client text\r\n\r\nharvested by test/client-texts.lab.test.ts\r\n")
server.quit()
print("sent")
