// Sends one message the way a bot would and, when that fails, prints the exception as .NET
// prints it (ex.ToString()): the text a support engineer gets pasted.
// Args: smtpclient|mailkit plain|starttls|implicit host port user password from to timeout-ms
// ("-" for no user). "version" as the only argument prints the runtime and MailKit versions.
using System.Net;
using System.Reflection;
using MimeKit;

if (args.Length == 1 && args[0] == "version")
{
    var mk = typeof(MailKit.Net.Smtp.SmtpClient).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "?";
    Console.WriteLine($".NET {Environment.Version}; MailKit {mk.Split('+')[0]}");
    return 0;
}
if (args.Length != 9)
{
    Console.Error.WriteLine("usage: SendMail smtpclient|mailkit plain|starttls|implicit host port user password from to timeout-ms");
    return 2;
}
var (lib, mode, host, port, user, password, from, to, timeout) = (args[0], args[1], args[2], int.Parse(args[3]), args[4], args[5], args[6], args[7], int.Parse(args[8]));
try
{
    if (lib == "smtpclient") SendWithSmtpClient();
    else SendWithMailKit();
    Console.WriteLine("sent");
    return 0;
}
catch (Exception ex)
{
    Console.Error.WriteLine(ex.ToString());
    return 1;
}

void SendWithSmtpClient()
{
    // System.Net.Mail speaks STARTTLS only: EnableSsl on any port means STARTTLS.
    using var client = new System.Net.Mail.SmtpClient(host, port) { EnableSsl = mode != "plain", Timeout = timeout };
    if (user != "-") client.Credentials = new NetworkCredential(user, password);
    client.Send(new System.Net.Mail.MailMessage(from, to, "smtp-probe client text", "harvested by test/client-texts.lab.test.ts"));
}

void SendWithMailKit()
{
    using var client = new MailKit.Net.Smtp.SmtpClient { Timeout = timeout, CheckCertificateRevocation = false };
    var options = mode switch
    {
        "plain" => MailKit.Security.SecureSocketOptions.None,
        "starttls" => MailKit.Security.SecureSocketOptions.StartTls,
        _ => MailKit.Security.SecureSocketOptions.SslOnConnect,
    };
    client.Connect(host, port, options);
    if (user != "-") client.Authenticate(user, password);
    var message = new MimeMessage();
    message.From.Add(MailboxAddress.Parse(from));
    message.To.Add(MailboxAddress.Parse(to));
    message.Subject = "smtp-probe client text";
    message.Body = new TextPart("plain") { Text = "harvested by test/client-texts.lab.test.ts" };
    client.Send(message);
    client.Disconnect(true);
}
