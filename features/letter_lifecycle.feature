Feature: A registered letter's life
  Once a letter is sent, AR24 notifies its recipient, who accepts it, or
  identifies and refuses it, or lets 15 days pass. AR24 issues a proof at each
  step, and calls the partner's webhook at each change of status.

  @needs_cgu_preaccepted @needs_global_billing
  Scenario: The recipient is notified and the proof of sending is a PDF
    Given AR24 bills us for our users' usage
    And AR24 lets us create users with the CGU pre-accepted
    And the user Alice was created ready to send, with the CGU pre-accepted
    When Alice sends a registered letter to Bob
    Then the letter reaches "ev"
    And its proof of sending downloads as a PDF

  @out_of_band @needs_cgu_preaccepted @needs_global_billing
  Scenario: The recipient accepts the letter
    Given AR24 bills us for our users' usage
    And AR24 lets us create users with the CGU pre-accepted
    And the user Alice was created ready to send, with the CGU pre-accepted
    When Alice sends a registered letter to Bob
    And Bob accepts the letter from the email
    Then the letter reaches "ar"
    And its proof of receipt downloads as a PDF

  @out_of_band @needs_cgu_preaccepted @needs_global_billing
  Scenario: The recipient identifies and refuses the letter
    Given AR24 bills us for our users' usage
    And AR24 lets us create users with the CGU pre-accepted
    And the user Alice was created ready to send, with the CGU pre-accepted
    When Alice sends a registered letter to Bob
    And Bob identifies and refuses the letter from the email
    Then the letter reaches "rf"
    And its proof of refusal downloads as a PDF

  @serial @needs_business_clock @needs_cgu_preaccepted @needs_global_billing
  Scenario: A letter nobody answers is neglected after 15 days
    # Moving the mock's clock moves it for every scenario: this one runs alone (@serial).
    Given AR24 bills us for our users' usage
    And AR24 lets us create users with the CGU pre-accepted
    And the user Alice was created ready to send, with the CGU pre-accepted
    When Alice sends a registered letter to Bob
    And 15 days pass without an answer
    Then the letter reaches "ng"
    And its proof of negligence downloads as a PDF

  @serial @needs_business_clock @needs_cgu_preaccepted @needs_global_billing
  Scenario: Negligence comes 15 days after the notification, not a minute sooner
    Given AR24 bills us for our users' usage
    And AR24 lets us create users with the CGU pre-accepted
    And the user Alice was created ready to send, with the CGU pre-accepted
    When Alice sends a registered letter to Bob
    Then the letter reaches "ev"
    When 1295940 seconds pass without an answer
    Then the letter is still "ev"
    When 120 seconds pass without an answer
    Then the letter is now "ng"
    And it was neglected 15 days to the second after its recipient was notified

  @serial @needs_business_clock @needs_cgu_preaccepted @needs_global_billing
  Scenario: A recipient who does not answer is reminded every 2 to 3 days until the letter is neglected
    # "Une relance de notification est envoyée tous les 2 à 3 jours" (AR24, on negligence).
    Given AR24 bills us for our users' usage
    And AR24 lets us create users with the CGU pre-accepted
    And the user Alice was created ready to send, with the CGU pre-accepted
    When Alice sends a registered letter to Bob
    Then the letter reaches "ev"
    When 1 days pass without an answer
    Then Bob has received 1 email
    When 2 days pass without an answer
    Then Bob has received 2 emails
    When 11 days pass without an answer
    Then Bob has received between 5 and 8 emails
    And the letter is still "ev"

  @serial @needs_business_clock @needs_webhook_receiver @needs_cgu_preaccepted @needs_global_billing
  Scenario: A webhook that does not answer 200 is called again every 15 minutes, 48 times
    # "nous effectuerons un nouvel envoi de la requête toutes les 15 minutes jusqu'à un maximum de 48 tentatives"
    Given AR24 bills us for our users' usage
    And AR24 lets us create users with the CGU pre-accepted
    And the user Alice was created ready to send, with the CGU pre-accepted
    When Alice sends a registered letter to Bob asking AR24 to call our webhook, which answers 500
    Then the letter reaches "ev"
    And our webhook has heard that the letter is "ev" 1 time
    When 11 hours pass without an answer
    Then our webhook has heard that the letter is "ev" 45 times
    When 2 hours pass without an answer
    Then our webhook has heard that the letter is "ev" 49 times

  @mock_only @serial @needs_business_clock @needs_webhook_receiver @needs_cgu_preaccepted @needs_global_billing
  Scenario: A failing webhook is retried across a reload of the mock's state, and a replay is one more attempt
    Given AR24 bills us for our users' usage
    And AR24 lets us create users with the CGU pre-accepted
    And the user Alice was created ready to send, with the CGU pre-accepted
    When Alice sends a registered letter to Bob asking AR24 to call our webhook, which answers 500
    Then the letter reaches "ev"
    And our webhook has heard that the letter is "ev" 1 time
    And the mock records 1 attempt of the letter's webhook, each answered 500
    When the mock's state is saved and loaded again
    And 15 minutes pass without an answer
    Then our webhook has heard that the letter is "ev" 2 times
    When 5 minutes pass without an answer
    And the mock sends the letter's webhook again
    Then our webhook has heard that the letter is "ev" 3 times
    # The next attempt is 15 minutes after the replay, not when it was due before.
    When 10 minutes pass without an answer
    Then our webhook has heard that the letter is "ev" 3 times
    When 5 minutes pass without an answer
    Then our webhook has heard that the letter is "ev" 4 times
    And the mock records 4 attempts of the letter's webhook, each answered 500

  @mock_only @needs_webhook_receiver @needs_cgu_preaccepted @needs_global_billing
  Scenario: A letter's changes reach our webhook in the order they happened
    # Accepted at once, while AR24 may still be calling about the notification
    # (the suite's receiver answers calls about "ev" after 200 ms here).
    Given AR24 bills us for our users' usage
    And AR24 lets us create users with the CGU pre-accepted
    And the user Alice was created ready to send, with the CGU pre-accepted
    When Alice sends 20 registered letters to Bob asking AR24 to call our webhook, each accepted at once
    Then our webhook hears of each letter "ev" and then "ar"

  @mock_only @needs_webhook_receiver @needs_cgu_preaccepted @needs_global_billing
  Scenario: A webhook call left unanswered counts as failed after 2.5 seconds
    Given AR24 bills us for our users' usage
    And AR24 lets us create users with the CGU pre-accepted
    And the user Alice was created ready to send, with the CGU pre-accepted
    When Alice sends a registered letter to Bob asking AR24 to call our webhook, which never answers
    Then the mock records the first attempt of the letter's webhook as unanswered after 2.5 seconds

  @mock_only @needs_cgu_preaccepted @needs_global_billing
  Scenario: A notification that bounces leaves the letter undelivered, dated, with its proof
    # Only the mock can make a recipient's mail server refuse the notification.
    Given AR24 bills us for our users' usage
    And AR24 lets us create users with the CGU pre-accepted
    And the user Alice was created ready to send, with the CGU pre-accepted
    When Alice sends a registered letter to Bob
    And the mock makes the notification of the letter bounce
    Then the letter is now "bc"
    And its proof of bounce downloads as a PDF

  @needs_webhook_receiver @needs_cgu_preaccepted @needs_global_billing
  Scenario: Our webhook hears that the recipient was notified
    Given AR24 bills us for our users' usage
    And AR24 lets us create users with the CGU pre-accepted
    And the user Alice was created ready to send, with the CGU pre-accepted
    When Alice sends a registered letter to Bob asking AR24 to call our webhook
    Then the call succeeds
    And our webhook hears that the letter is "ev"

  @needs_webhook_receiver @out_of_band @needs_cgu_preaccepted @needs_global_billing
  Scenario: Our webhook hears that the recipient accepted
    Given AR24 bills us for our users' usage
    And AR24 lets us create users with the CGU pre-accepted
    And the user Alice was created ready to send, with the CGU pre-accepted
    When Alice sends a registered letter to Bob asking AR24 to call our webhook
    And Bob accepts the letter from the email
    Then our webhook hears that the letter is "ar"
