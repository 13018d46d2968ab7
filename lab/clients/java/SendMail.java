// Sends one message the way a bot on JavaMail does and, when that fails, prints the
// exception chain as e.printStackTrace() does: the text a support engineer gets pasted.
// Written against javax.mail; the test compiles a jakarta.mail copy from the same source.
// Args: plain|starttls|implicit host port user password from to timeout-ms ("-" for no user);
// "version" alone prints the mail implementation's name and version.
import java.util.Properties;
import javax.mail.Message;
import javax.mail.Session;
import javax.mail.Transport;
import javax.mail.internet.InternetAddress;
import javax.mail.internet.MimeMessage;

public class SendMail {
  public static void main(String[] args) throws Exception {
    if (args.length == 1 && args[0].equals("version")) {
      Package p = Transport.class.getPackage();
      String impl = Session.class.getProtectionDomain().getCodeSource().getLocation().getPath();
      System.out.println(p.getName() + " " + p.getImplementationVersion() + " (" + impl.substring(impl.lastIndexOf('/') + 1) + "); Java " + System.getProperty("java.version"));
      return;
    }
    String mode = args[0], host = args[1], port = args[2], user = args[3], password = args[4], from = args[5], to = args[6], timeout = args[7];
    Properties props = new Properties();
    props.put("mail.smtp.host", host);
    props.put("mail.smtp.port", port);
    props.put("mail.smtp.connectiontimeout", timeout);
    props.put("mail.smtp.timeout", timeout);
    props.put("mail.smtp.auth", String.valueOf(!user.equals("-")));
    if (mode.equals("starttls")) {
      props.put("mail.smtp.starttls.enable", "true");
      props.put("mail.smtp.starttls.required", "true");
    }
    if (mode.equals("implicit")) props.put("mail.smtp.ssl.enable", "true");
    try {
      Session session = Session.getInstance(props);
      MimeMessage msg = new MimeMessage(session);
      msg.setFrom(new InternetAddress(from));
      msg.setRecipient(Message.RecipientType.TO, new InternetAddress(to));
      msg.setSubject("smtp-probe client text");
      msg.setText("harvested by test/client-texts.lab.test.ts");
      if (user.equals("-")) Transport.send(msg);
      else Transport.send(msg, user, password);
      System.out.println("sent");
    } catch (Exception e) {
      e.printStackTrace();
      System.exit(1);
    }
  }
}
