#!/usr/bin/env python3
"""Build the shipped NovaPay sample dataset for supportbot.

NovaPay is a FICTIONAL Indian consumer fintech app. Everything below (facts,
codes, limits, people, PII) is invented for testing.

Deterministic (fixed seed); stdlib + datasketch only.  Writes:
  data/sample/kb/KB-0NN-<slug>.md
  data/sample/raw/{qa.jsonl,chats_openai.jsonl,chats_sharegpt.jsonl,alpaca.json,tickets.csv}
  eval/suites/support_100.json
and prints the self-check statistics.

Source material is hand-written below:
  KB_TEXT      -- the knowledge base (single source of truth for all facts)
  INTENTS_*    -- per-fact blocks.  "@ key | kb_ids | stage | codes | category"
                  Q <customer question variant>      (English, paired with an A)
                  A <agent answer variant>
                  E <held-out eval question>          (reference = one of the A lines)
                  P <lang> | <question> => <answer>   (fixed pair, any language)
                  EP <lang> | <question> => <reference answer>   (held-out eval pair)
                  category "edge-case:<subtype>" marks edge-case blocks.
Usage:  python data/sample/build_sample.py
"""

from __future__ import annotations

import csv
import json
import os
import random
import re
import sys
from collections import Counter

from datasketch import MinHash, MinHashLSH

sys.path.insert(
    0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "src")
)
from supportbot.eval.keyfacts import derive_key_facts  # noqa: E402  (key facts are derived as the judge reads them)

SEED = 20260314

# --------------------------------------------------------------------------
# Knowledge base.  "=== id | slug | title | tag, tag" starts an article.
# --------------------------------------------------------------------------
KB_TEXT = r"""
=== KB-001 | video-kyc-service-hours | Video-KYC service hours | onboarding, video-kyc, WINDOW_CLOSED
Video-KYC is the live video call with a NovaPay agent that completes your savings account opening. Agents are available from 9:00 AM to 9:00 PM IST, Monday to Saturday. Video-KYC is closed on Sundays and national holidays.

- You can start a call any time inside service hours from Onboarding > Video-KYC.
- If you try outside service hours, the app shows WINDOW_CLOSED.
- Your completed onboarding steps (OTP, PAN, Aadhaar, selfie) stay saved for 30 days, so you never need to redo them just because the window was closed.
- Calls started before 9:00 PM IST are completed even if they run past 9:00 PM.
- The quietest time to call is 9:00 AM to 11:00 AM IST; the busiest is 6:00 PM to 9:00 PM IST.
=== KB-002 | video-kyc-window-closed | Error WINDOW_CLOSED during video-KYC | onboarding, video-kyc, WINDOW_CLOSED
WINDOW_CLOSED means you tried to start video-KYC outside service hours. It is not an error with your application and nothing is lost.

What to do:
1. Check the time: video-KYC runs from 9:00 AM to 9:00 PM IST, Monday to Saturday, and is closed on Sundays and national holidays.
2. Come back during service hours and open Onboarding > Video-KYC.
3. If you prefer a fixed time, book a slot with Onboarding > Video-KYC > Schedule a call.

If you see WINDOW_CLOSED during service hours, update the app to the latest version and check that your phone's date, time and time zone are set to automatic. Your completed steps stay saved for 30 days.
=== KB-003 | video-kyc-queue-and-agent-busy | Video-KYC queue and AGENT_BUSY | onboarding, video-kyc, AGENT_BUSY
When all agents are on calls, you join a queue. The screen shows your queue position and an estimated wait; the typical wait is under 10 minutes.

- Keep the app open on the queue screen. Leaving the app or locking the phone for more than 60 seconds removes you from the queue.
- If the queue is full, the app shows AGENT_BUSY. Try again after 15 minutes, or book a slot with Onboarding > Video-KYC > Schedule a call.
- The quietest time is 9:00 AM to 11:00 AM IST; the busiest is 6:00 PM to 9:00 PM IST.
- Your queue position cannot be moved up by support, but a scheduled slot is answered within 5 minutes of the booked time.
=== KB-004 | video-kyc-scheduling-a-call | Scheduling a video-KYC call | onboarding, video-kyc
You can book a video-KYC slot instead of waiting in the queue.

Steps:
1. Open Onboarding > Video-KYC > Schedule a call.
2. Pick a 15-minute slot. Slots are available up to 3 days ahead, within service hours (9:00 AM to 9:00 PM IST, Monday to Saturday).
3. You get a reminder notification 10 minutes before the slot.
4. At the booked time, open Onboarding > Video-KYC and tap Join scheduled call. An agent answers within 5 minutes of the booked time.

You can reschedule or cancel a slot from the same screen up to 30 minutes before it starts. If you miss a slot, simply book another one or join the normal queue during service hours.
=== KB-005 | video-kyc-network-and-device-requirements | Network and device requirements for video-KYC | onboarding, video-kyc
A stable connection matters more than anything else on the call.

- Use 4G, 5G or Wi-Fi with at least 1 Mbps upload speed. Avoid moving between networks during the call.
- Allow camera, microphone and location permissions for NovaPay. If you denied them earlier, enable them in your phone's Settings > Apps > NovaPay > Permissions.
- You must be physically in India; location is checked at the start of the call.
- Use your phone's front camera, sit in a well-lit, quiet place and close other apps that use the camera (video-calling apps especially).
- Keep at least 20% battery, and keep the NovaPay app on screen during the call.
=== KB-006 | video-kyc-call-dropped | Video-KYC call dropped (VKYC_DISCONNECTED) | onboarding, video-kyc, VKYC_DISCONNECTED
If your network drops or the app closes during the call, the app shows VKYC_DISCONNECTED.

- Rejoin within 10 minutes from Onboarding > Video-KYC > Rejoin call to resume the same session.
- After 10 minutes the session ends and you start a new call. Your PAN, Aadhaar and selfie stay saved, so only the call itself is repeated.
- A dropped call does not count as a rejected attempt.

To avoid drops, use a stable connection with at least 1 Mbps upload, stay in one place, and do not switch apps during the call.
=== KB-007 | preparing-for-video-kyc | What to keep ready for video-KYC | onboarding, video-kyc, documents
The call takes about 5 minutes. Keep these ready before you start:

- Your original physical PAN card. Photocopies, e-PAN shown on another screen, and photos of the card are not accepted on the call.
- A blank white paper and a blue or black pen. The agent will ask you to sign on the paper and show it to the camera.
- A quiet, well-lit place, with your face clearly visible (no cap, mask or sunglasses).
- Your phone with at least 20% battery and a stable connection.

During the call the agent confirms your details, asks you to show your PAN card front to the camera, captures your signature and takes a live photo.
=== KB-008 | video-kyc-result-and-rejection | Video-KYC result and VKYC_REJECTED | onboarding, video-kyc, VKYC_REJECTED
After the call, your video-KYC is reviewed and the result arrives within 24 hours by notification and SMS.

- If approved, your savings account opens and you get your account number by SMS and email.
- If rejected, you see VKYC_REJECTED and the reason in Home > Onboarding status. Common reasons: PAN card not clearly shown, poor lighting, signature missing, or someone else assisting on camera.
- You can retry video-KYC up to 3 times. Fix the reason shown and start a new call from Onboarding > Video-KYC.
- After 3 rejected attempts, write to support@novapay.example for a manual review.
=== KB-009 | pan-upload-guidelines | PAN upload guidelines | onboarding, pan-upload
Upload your PAN from Onboarding > Documents > PAN.

- Accepted formats: JPG, PNG or PDF, up to 5 MB.
- Use your original PAN card, or the e-PAN PDF downloaded from the Income Tax or Protean portal. The e-PAN PDF must not be password-protected.
- Photograph the card on a dark, plain surface in daylight, with all four corners visible and the card filling most of the frame.
- Do not upload photocopies, screenshots of photos, or cropped images.

The app reads your PAN details automatically. If the image cannot be read you see OCR_FAIL; if there is a reflection you see PAN_GLARE.
=== KB-010 | pan-ocr-fail | PAN upload error OCR_FAIL | onboarding, pan-upload, OCR_FAIL
OCR_FAIL means the app could not read the text on your PAN image. Usual causes are blur, a cropped or dark photo, low resolution or a photocopy.

How to fix:
1. Place the card on a dark, plain surface in daylight.
2. Hold the phone steady, directly above the card, with all four corners visible.
3. Let the camera focus before you tap capture; do not zoom.
4. Upload the original card or the e-PAN PDF, not a photocopy.

After 3 failed attempts, the app offers Send for manual review. A manual review is completed within 2 working days and you get a notification with the result. You can continue with the other onboarding steps meanwhile.
=== KB-011 | pan-glare | PAN upload error PAN_GLARE | onboarding, pan-upload, PAN_GLARE
PAN_GLARE means a bright reflection is covering part of your PAN card in the photo. It is common with laminated cards and plastic covers.

How to fix:
- Switch off the camera flash.
- Take the card out of any plastic sleeve or cover.
- Use indirect daylight instead of a ceiling light directly above the card.
- Tilt the phone slightly until the shine disappears from the screen, then capture.
- If your card is laminated, try near a window with the light coming from the side.

You can also upload the e-PAN PDF instead of a photo; a PDF never triggers PAN_GLARE.
=== KB-012 | pan-name-mismatch | PAN name mismatch (NAME_MISMATCH) | onboarding, pan-upload, documents, NAME_MISMATCH
During onboarding we compare the name on your PAN with the name from your Aadhaar. If they differ, the app shows NAME_MISMATCH.

- Small differences are accepted automatically: initials instead of full names, spacing, and a different order of first name and surname.
- Bigger differences (for example a surname changed after marriage, or a spelling error) must be corrected at the source: update your PAN through the Protean (NSDL) portal or your Aadhaar through UIDAI, so that both names match.
- Names cannot be edited inside the NovaPay app, and support cannot override a NAME_MISMATCH.

Once the corrected document is issued, retry from Onboarding > Documents > PAN. Your other completed steps stay saved for 30 days.
=== KB-013 | pan-invalid-or-inoperative | PAN_INVALID: PAN not found or inoperative | onboarding, pan-upload, PAN_INVALID
PAN_INVALID means the Income Tax Department's records did not confirm your PAN. It appears when:

- the PAN number was typed or read incorrectly, or
- the PAN is inoperative because it is not linked with your Aadhaar.

What to do:
1. Check the 10-character PAN shown on the confirmation screen and correct any mistake.
2. If the number is correct, check the PAN-Aadhaar link status on the Income Tax e-filing portal.
3. If it is not linked, link it there. Retry in NovaPay once the portal shows the link as active.

NovaPay cannot open an account with an inoperative PAN.
=== KB-014 | otp-basics-and-timeout | OTP basics and OTP_TIMEOUT | onboarding, otp, login, OTP_TIMEOUT
NovaPay sends a 6-digit OTP by SMS to your registered mobile number for sign-up, login on a new device and sensitive changes.

- Each OTP is valid for 120 seconds.
- If you enter it after 120 seconds, the app shows OTP_TIMEOUT. Tap Resend OTP to get a fresh one; the old OTP stops working.
- On Android the app can read the OTP automatically if you allow SMS access; otherwise type it in.
- Only the latest OTP works.

NovaPay will never call, email or message you to ask for an OTP. Never share it with anyone, including people who say they are from NovaPay.
=== KB-015 | otp-resend-limits-and-lockout | OTP resend limits and OTP_LOCKED | onboarding, otp, login, OTP_LOCKED, OTP_INVALID
To protect your account, OTPs are limited.

- Resend OTP becomes active 30 seconds after each OTP is sent.
- You can resend up to 3 times in 30 minutes.
- Entering a wrong OTP shows OTP_INVALID. After 5 wrong entries, or after the resend limit is used up, OTP requests are locked for 30 minutes and the app shows OTP_LOCKED.
- The lock lifts automatically after 30 minutes. Support cannot remove it earlier, and reinstalling the app does not reset it.

After the lock ends, request a new OTP once and wait for it before tapping Resend.
=== KB-016 | otp-not-received | OTP not received | onboarding, otp, login
If the OTP does not arrive:

1. Make sure the SIM with your registered mobile number is in this phone and has signal. On dual-SIM phones, check the SMS for the right SIM.
2. Turn airplane mode on and off once to refresh the network.
3. Free up space if your SMS inbox is full, and check any SMS-blocking or spam-filter app.
4. Wait 30 seconds, then tap Resend OTP (up to 3 resends in 30 minutes).

Do Not Disturb (DND) registration does not block OTPs. On international roaming OTPs can be delayed by a few minutes. If no OTP arrives after 3 resends, wait for the 30-minute lock to end and try again, or contact us via Help > Chat with us.
=== KB-017 | onboarding-document-checklist | Onboarding document checklist | onboarding, documents
To open a NovaPay savings account you need:

- PAN: your original PAN card or e-PAN PDF.
- Aadhaar: verified with an OTP from UIDAI, so your mobile number must be linked to your Aadhaar.
- Live selfie: taken inside the app.
- Address proof: only if your current address is different from the address on your Aadhaar.

For the video-KYC call you also need your original physical PAN card, a blank white paper and a blue or black pen.

All uploads can be JPG, PNG or PDF up to 5 MB. Completed steps stay saved for 30 days.
=== KB-018 | aadhaar-verification | Aadhaar verification and AADHAAR_OTP_FAIL | onboarding, documents, AADHAAR_OTP_FAIL
Aadhaar is verified with an OTP sent by UIDAI to the mobile number linked to your Aadhaar. This can be different from your NovaPay number.

- The Aadhaar OTP is valid for 10 minutes.
- If your Aadhaar has no linked mobile number, or the linked number is no longer with you, the app shows AADHAAR_OTP_FAIL. Update your mobile number at an Aadhaar Seva Kendra, then retry from Onboarding > Documents > Aadhaar.
- NovaPay stores only the last 4 digits of your Aadhaar number and never shows the full number again.

You do not need to upload a photo of your Aadhaar card; the OTP verification is enough.
=== KB-019 | selfie-requirements | Selfie requirements and FACE_MATCH_FAIL | onboarding, documents, FACE_MATCH_FAIL
The selfie is taken live inside the app from Onboarding > Documents > Selfie; gallery photos are not accepted.

- Face the front camera in good light, with your face inside the oval.
- Remove cap, mask and sunglasses. Regular glasses are fine if there is no reflection.
- Use a plain background and make sure nobody else is in the frame.

We compare the selfie with the photo on your PAN. If they do not match, the app shows FACE_MATCH_FAIL; retake the selfie in better light. After 3 FACE_MATCH_FAIL attempts, you can continue and the agent verifies your face during the video-KYC call instead.
=== KB-020 | address-proof | Address proof and DOC_EXPIRED | onboarding, documents, DOC_EXPIRED
Address proof is needed only if your current address differs from the address on your Aadhaar. Upload it from Onboarding > Documents > Address proof.

Accepted documents:
- Utility bill (electricity, water, piped gas, postpaid mobile or broadband) not older than 2 months
- Registered rent agreement
- Passport
- Voter ID

Files can be JPG, PNG or PDF up to 5 MB, and the name on the document must match your PAN. A utility bill older than 2 months or an expired passport is rejected with DOC_EXPIRED; upload a newer bill or a different accepted document.
=== KB-021 | account-opening-timeline-and-status | Account opening timeline and onboarding status | onboarding, account
After a successful video-KYC, your savings account opens within 24 hours. You receive your account number by SMS and email, and your virtual debit card is ready in the app right away.

- Check progress anytime in Home > Onboarding status. It shows each step as Done, Pending or Action needed.
- Completed steps stay saved for 30 days. If onboarding is not finished within 30 days, the application expires and you start again.
- Reminder notifications are sent after 3 days and after 25 days of inactivity.

If your status shows Under review for more than 24 hours after video-KYC, contact us via Help > Chat with us.
=== KB-022 | eligibility-and-account-features | Eligibility and savings account features | onboarding, account
Who can open a NovaPay savings account:
- Indian residents aged 18 or above
- With a valid PAN linked to Aadhaar, and an Aadhaar with a linked mobile number
- One NovaPay savings account per PAN

Account features:
- Zero minimum balance; there is no charge for a low balance.
- A free virtual debit card on opening; a physical card can be ordered from Cards.
- UPI payments from your savings account, with a UPI ID in the form yourmobilenumber@novapay.

NRIs and minors cannot open a NovaPay savings account at present.
=== KB-023 | logging-in-on-a-new-device | Logging in and logging in on a new device | login, account
NovaPay uses your registered mobile number, an OTP and a 4-digit MPIN.

- Everyday login: enter your 4-digit MPIN, or use fingerprint/face login if turned on in Profile > Security > Biometric login.
- New device or after reinstalling: enter your registered mobile number, verify the OTP, then enter your MPIN.
- NovaPay can be active on only one device at a time. Logging in on a new phone logs out the old one.
- For 24 hours after logging in on a new device, UPI payments are limited to ₹5,000 in total.

If your registered number has changed, see Changing your registered mobile number.
=== KB-024 | login-locked | LOGIN_LOCKED after wrong MPIN attempts | login, LOGIN_LOCKED
After 5 wrong MPIN attempts, login is locked for 24 hours and the app shows LOGIN_LOCKED.

To unlock right away, reset your MPIN:
1. On the login screen, tap Forgot MPIN.
2. Verify the OTP sent to your registered mobile number.
3. Enter your PAN to confirm your identity.
4. Set a new 4-digit MPIN.

Once the new MPIN is set, the lock is removed immediately. Your money and transactions are not affected by the lock. Support cannot unlock the account manually; Forgot MPIN is the fastest way.
=== KB-025 | reset-mpin | Resetting or changing your MPIN | login, account
Your MPIN is the 4-digit code used to log in to the app. It is different from your UPI PIN.

- If you know your current MPIN: go to Profile > Security > Reset MPIN, enter your current MPIN, verify the OTP and set a new MPIN.
- If you forgot it: tap Forgot MPIN on the login screen, verify the OTP, enter your PAN and set a new MPIN.
- The new MPIN cannot be the same as any of your last 3 MPINs, and simple patterns like 1234 or 1111 are not allowed.

Resetting your MPIN does not change your UPI PIN.
=== KB-026 | upi-pin-reset-and-block | UPI PIN reset and wrong UPI PIN (UPI_ZM) | payments, account, UPI_ZM
Your UPI PIN is the 6-digit PIN you enter to approve every UPI payment. It is different from your 4-digit MPIN.

- To reset it, go to Profile > Payments > Reset UPI PIN. Enter the last 6 digits and expiry date of your NovaPay debit card, verify the OTP and set a new 6-digit UPI PIN.
- A wrong UPI PIN fails the payment with UPI_ZM. No money is deducted.
- After 3 wrong UPI PIN attempts in a day, UPI payments are blocked for 24 hours. Resetting the UPI PIN does not lift this block; it lifts automatically after 24 hours.

Never share your UPI PIN. You never need it to receive money.
=== KB-027 | change-registered-mobile | Changing your registered mobile number | account, login
Your registered mobile number is used for OTPs, SMS alerts and your UPI ID.

If you still have your old SIM:
1. Go to Profile > Security > Change mobile number.
2. Verify OTPs sent to both your old and new numbers.
3. The change is effective immediately, and your UPI ID changes to newnumber@novapay.

If you have lost your old SIM, contact us via Help > Chat with us. We verify you with a fresh video-KYC call, after which the number is updated within 2 working days.

For 24 hours after a number change, UPI payments are limited to ₹5,000 in total.
=== KB-028 | new-device-cooling-period | New device limit: ₹5,000 for 24 hours | login, payments
To protect you from SIM-swap and phone-theft fraud, NovaPay applies a cooling period.

- For 24 hours after you log in on a new device, change your registered mobile number, or reinstall the app, UPI payments are limited to ₹5,000 in total.
- Receiving money, wallet top-ups and bill views are not affected.
- The limit lifts automatically after 24 hours; the exact time is shown on the payment screen.
- Support cannot remove the cooling period early.

If you did not log in on a new device yourself, freeze your card and report it from Help > Report fraud immediately.
=== KB-029 | upi-limits | UPI limits and LIMIT_EXCEEDED | payments, LIMIT_EXCEEDED
UPI limits on NovaPay:

- Up to ₹1,00,000 per day in total, and at most ₹1,00,000 in a single payment.
- Up to 20 UPI payments per day.
- The daily counters reset at midnight IST.
- During the first 24 hours on a new device, the limit is ₹5,000 in total.

If a payment would cross a limit, it is blocked with LIMIT_EXCEEDED and no money is deducted. You can lower your daily limit in Profile > Payments > UPI limits, but you cannot raise it above ₹1,00,000. For larger amounts, use a bank transfer (IMPS/NEFT) from Accounts > Transfer.
=== KB-030 | upi-failure-codes | UPI failure codes: UPI_U30, UPI_Z9, UPI_ZM | payments, UPI_U30, UPI_Z9, UPI_ZM
Common UPI failure codes shown in Transactions:

- UPI_U30: the debit failed at your bank. Usually no money is deducted. Wait 15 minutes and retry, or pay from another linked account. If money was deducted anyway, it is reversed automatically within 3 working days.
- UPI_Z9: insufficient balance in the account you paid from. Add money or choose another account.
- UPI_ZM: wrong UPI PIN. After 3 wrong attempts in a day, UPI is blocked for 24 hours. Reset the PIN in Profile > Payments > Reset UPI PIN.

If a code is not listed here, tap the payment in Transactions to see its explanation, or contact us via Help > Chat with us.
=== KB-031 | debited-but-failed-upi | Money debited but UPI payment failed | payments, refunds, UPI_U30
Sometimes the payment shows failed but your bank has debited the money. This happens when the bank debits your account but the receiver's bank does not confirm in time.

- The amount is reversed automatically to the account it came from within 3 working days. You do not need to raise a request.
- Do not pay the merchant twice unless they confirm they did not receive the money.
- If the money is not back after 3 working days, go to Transactions > select the payment > Report an issue. Keep the 12-digit UTR number shown on the payment ready.

Disputes raised this way are resolved within 7 working days.
=== KB-032 | payment-pending | PAYMENT_PENDING status | payments, PAYMENT_PENDING
PAYMENT_PENDING means your bank or the receiver's bank has not yet confirmed the payment.

- Most pending payments get a final status (success or failed) within 2 hours. In rare cases it can take up to 48 hours.
- Do not pay again while a payment is pending; you may end up paying twice.
- If it finally fails, any deducted amount is reversed automatically within 3 working days.
- If it succeeds, the receiver gets the money and you get an SMS confirmation.

If the status is still PAYMENT_PENDING after 48 hours, go to Transactions > select the payment > Report an issue.
=== KB-033 | refund-timelines | Refund timelines | refunds
Refund timelines depend on how you paid. They start when the merchant initiates the refund, not when you cancel the order.

- Paid by UPI: 3 to 5 working days to your bank account.
- Paid from NovaPay wallet: within 24 hours to your wallet.
- Paid by NovaPay debit card: 5 to 7 working days to your account.
- Failed or debited-but-failed payments (no merchant refund needed): reversed automatically within 3 working days.

Working days exclude Sundays and bank holidays. You get an SMS when the refund is credited.
=== KB-034 | tracking-a-refund-and-disputes | Tracking a refund and raising a dispute | refunds, payments
To track a refund, open Transactions > select the payment > Refund status. It shows the date the merchant initiated the refund and the refund reference number.

If the refund has not arrived within its timeline (UPI: 3 to 5 working days, wallet: within 24 hours, debit card: 5 to 7 working days):
1. Tap Report an issue on the same payment.
2. Choose Refund not received and add the refund reference number from the merchant if you have one.
3. We follow up with the bank and update you within 7 working days.

If the merchant has not initiated the refund at all, contact the merchant first; NovaPay cannot start a refund on the merchant's behalf.
=== KB-035 | wallet-kyc-limits | NovaPay wallet limits | payments, account
The NovaPay wallet holds money for quick payments.

- Minimum-KYC wallet (before video-KYC): maximum balance ₹10,000; wallet-to-bank transfers are not allowed.
- Full-KYC wallet (after video-KYC): maximum balance ₹2,00,000; you can transfer wallet money to your bank account.
- Add money from Wallet > Add money using UPI or a debit card, free of charge. Credit cards are not accepted for wallet top-ups.
- Wallet balance does not expire and does not earn interest.

If a top-up would cross your maximum balance, it is blocked with LIMIT_EXCEEDED and no money is deducted.
=== KB-036 | upi-id | Your NovaPay UPI ID | payments, account
Your UPI ID lets others pay you without your account details. By default it is yourmobilenumber@novapay.

- See or share it from Profile > Payments > UPI ID, or show your QR code from Home > Receive.
- You can create one custom UPI ID (for example priya.k@novapay) in Profile > Payments > UPI ID > Create custom ID.
- If you change your registered mobile number, the default UPI ID changes to the new number; a custom UPI ID stays the same.

You never need your UPI PIN to receive money. Anyone asking for your PIN to "send" you money is attempting fraud.
=== KB-037 | app-crashes | App crashing or freezing | app-crash
If the NovaPay app crashes, freezes or closes on its own:

1. Update to the latest version from the Play Store or App Store. NovaPay needs Android 9 or above, or iOS 15 or above.
2. Restart your phone and keep at least 500 MB of free storage.
3. On Android, clear the cache: Settings > Apps > NovaPay > Storage > Clear cache.
4. If it still crashes, uninstall and reinstall. You will log in again with OTP and MPIN.

Clearing cache or reinstalling never affects your money, balance or transactions. If crashes continue, report them from Help > Report a problem (it attaches crash logs automatically), or email support@novapay.example with your phone model and app version.
=== KB-038 | rooted-device | ROOT_DETECTED: rooted or jailbroken phones | app-crash, ROOT_DETECTED
For security, NovaPay does not run on rooted Android phones or jailbroken iPhones. The app shows ROOT_DETECTED and closes.

- ROOT_DETECTED can also appear on phones with a custom ROM or an unlocked bootloader.
- Support cannot whitelist a device.
- To use NovaPay, use a phone with the original manufacturer software, or restore your phone to its factory software.

Your account and money are safe; you can log in on another phone with your registered mobile number, an OTP and your MPIN.
=== KB-039 | notifications | Notifications and SMS alerts | notifications
NovaPay sends push notifications (payments, refunds, onboarding updates, offers) and SMS alerts.

If push notifications are not arriving:
1. Turn on notifications for NovaPay in your phone's Settings > Notifications > NovaPay.
2. Check the toggles in Profile > Notifications in the app.
3. Turn off battery optimisation for NovaPay, especially on Xiaomi, Oppo, Vivo and Realme phones.

SMS alerts for every debit and credit are always sent to your registered number and cannot be turned off. Offers and promotional notifications can be switched off in Profile > Notifications > Offers.
=== KB-040 | block-or-freeze-card | Blocking or freezing your debit card | cards
Manage your NovaPay debit card from the Cards tab.

- Freeze (temporary): Cards > select card > Freeze card. All card payments stop immediately; unfreeze anytime from the same screen.
- Block (permanent): Cards > select card > Block card. Use this if the card is lost, stolen or misused. A blocked card cannot be unblocked.
- After blocking, a new virtual card is issued free of charge right away. A replacement physical card costs ₹199 and is delivered within 7 working days; order it from Cards > Request physical card.

Blocking or freezing a card does not affect UPI payments from your account.
=== KB-041 | card-usage-and-limits | Card usage settings, limits and CARD_DECLINED | cards, CARD_DECLINED
International and contactless usage are off by default on NovaPay debit cards. Turn them on in Cards > Manage usage.

Default daily card limits:
- ATM withdrawal: ₹25,000 per day
- Online and in-store (POS) payments: ₹1,00,000 per day

You can set lower limits in Cards > Manage usage. A card payment is declined with CARD_DECLINED if the usage type is off, the limit is reached, the card is frozen, or the PIN is entered wrongly. The card PIN is 4 digits and can be changed in Cards > select card > Change PIN.
=== KB-042 | reporting-fraud | Reporting an unauthorised transaction | cards, payments, account
If you see a transaction you did not make:

1. Freeze your card at once from Cards > select card > Freeze card.
2. Report it from Help > Report fraud, selecting the transaction.
3. Do this within 3 working days of the transaction for full protection (zero liability).

We acknowledge the report immediately and resolve it within 10 working days. Also change your MPIN and UPI PIN. NovaPay staff will never ask for your OTP, MPIN, UPI PIN or full card number.
=== KB-043 | contacting-support-and-safety | Contacting NovaPay support | account
Ways to reach us:

- In-app chat: Help > Chat with us. The chat assistant is available 24x7; human agents are available from 8:00 AM to 10:00 PM IST, every day.
- Email: support@novapay.example. We reply within 24 hours.

To help us faster, include your registered mobile number's last 4 digits, the error code and a screenshot.

Stay safe: NovaPay will never ask for your OTP, MPIN, UPI PIN or full card number, by phone, chat, email or social media. Do not share them with anyone.
=== KB-044 | statements | Downloading account statements | account
Download your savings account statement from Accounts > Statements.

- Choose a period of up to 12 months at a time.
- The statement is generated as a PDF and emailed to your registered email within 15 minutes.
- The PDF is password-protected. The password is your date of birth in DDMMYYYY format.
- Wallet statements are under Wallet > Statement.

If the email does not arrive, check your spam folder and confirm your email address in Profile > Personal details > Email.
=== KB-045 | update-email-and-close-account | Updating your email and closing your account | account
Update your email:
1. Go to Profile > Personal details > Email.
2. Enter the new email address.
3. Click the verification link we send; it is valid for 24 hours.

Close your account:
1. Move your savings and wallet balance to another bank account first.
2. Go to Profile > Settings > Close account and confirm with an OTP.
3. Closure is completed within 7 working days, and you get a confirmation email.

Your debit card is blocked when you request closure.
=== KB-046 | what-support-covers | What NovaPay support can help with | account
NovaPay support helps with everything about your NovaPay account:

- Onboarding: OTP, PAN upload, Aadhaar, selfie, address proof and video-KYC
- Login, MPIN and UPI PIN
- UPI payments, the wallet, failed payments and refunds
- Debit cards, limits and fraud reports
- App problems and notifications

We cannot help with investment or stock advice, tax or legal advice, other banks' or apps' accounts, or general questions unrelated to NovaPay. For those, please consult a qualified adviser or the relevant service.
"""

# --------------------------------------------------------------------------
# English intents: onboarding (video-KYC, PAN, OTP, documents, status)
# --------------------------------------------------------------------------
INTENTS_ONBOARDING = r"""
@ vkyc_hours | KB-001 | video-kyc | - | policy
Q what are the timings for video kyc?
Q When can I do the video verification call?
Q is video kyc available at night? I only get free after 10pm
Q till what time are your kyc agents available today
Q can i do vkyc early morning like 7 am before office
Q What hours does the NovaPay video KYC team work?
Q hey what time does video kyc open
A Video-KYC runs from 9:00 AM to 9:00 PM IST, Monday to Saturday. You can start the call any time in that window from Onboarding > Video-KYC, and the quietest time is 9:00 AM to 11:00 AM IST.
A Our agents take video-KYC calls from 9:00 AM to 9:00 PM IST, Monday to Saturday; it is closed on Sundays and national holidays. Your completed onboarding steps stay saved for 30 days, so just start the call from Onboarding > Video-KYC during those hours.
A Video-KYC is available from 9:00 AM to 9:00 PM IST, Monday to Saturday. A call started before 9:00 PM is completed even if it runs a little past 9:00 PM.
E Which hours can I get on the KYC video call with your agent?

@ vkyc_window_closed | KB-002,KB-001 | video-kyc | WINDOW_CLOSED | troubleshooting
Q Getting WINDOW_CLOSED when i tap start video kyc
Q app says WINDOW_CLOSED, did my application get cancelled??
Q what does window closed mean on the video kyc screen
Q I tried the video call at 9.40 pm and it showed WINDOW_CLOSED. what now
Q Error WINDOW_CLOSED on video KYC, please fix asap
Q why is video kyc showing window closed error, i was about to finish my account opening
Q WINDOW_CLOSED popup appears every time i try the verification call
A WINDOW_CLOSED means you tried to start video-KYC outside service hours; nothing is wrong with your application. Video-KYC runs from 9:00 AM to 9:00 PM IST, Monday to Saturday, so please start the call again from Onboarding > Video-KYC during those hours. Your completed steps stay saved for 30 days.
A That message only means the video-KYC window is closed right now. Video-KYC runs from 9:00 AM to 9:00 PM IST, Monday to Saturday; come back then, or book a fixed time with Onboarding > Video-KYC > Schedule a call.
A WINDOW_CLOSED appears outside service hours, which are 9:00 AM to 9:00 PM IST, Monday to Saturday. Your application is not cancelled: your completed steps stay saved for 30 days and you can restart the call from Onboarding > Video-KYC.
E my video call for account opening keeps saying WINDOW_CLOSED, is my application dead?

@ vkyc_window_closed_in_hours | KB-002 | video-kyc | WINDOW_CLOSED | troubleshooting
Q its 4 pm on a tuesday and i still get WINDOW_CLOSED??
Q WINDOW_CLOSED is showing even during working hours, what's going on
Q I am trying at 11 in the morning and it says window closed. bug?
Q why window closed when your timing is 9 to 9 and its only 2pm now
Q Saturday 10am and video kyc says WINDOW_CLOSED. that's not right
A If you see WINDOW_CLOSED during service hours (9:00 AM to 9:00 PM IST, Monday to Saturday), update NovaPay to the latest version and set your phone's date, time and time zone to automatic, then try Onboarding > Video-KYC again. Also check it isn't a national holiday, when video-KYC is closed.
A That usually means your phone's clock or time zone is off, or the app is outdated. Set date, time and time zone to automatic, update the app from the Play Store or App Store, and restart the call from Onboarding > Video-KYC.
E it's a normal weekday afternoon but video kyc tells me the window is closed

@ vkyc_sunday | KB-001 | video-kyc | WINDOW_CLOSED | policy
Q can i complete video kyc on sunday?
Q is vkyc open on public holidays like republic day
Q I'm only free on weekends, does video kyc work sunday
Q Do your agents work on Sundays for the KYC call
Q will video kyc be available on diwali holiday
Q only sunday is free for me... any way to do the video call then?
A Video-KYC is closed on Sundays and national holidays. It runs from 9:00 AM to 9:00 PM IST, Monday to Saturday, so Saturday is the best weekend option; you can book a slot in advance with Onboarding > Video-KYC > Schedule a call.
A Sorry, agents are not available on Sundays or national holidays. Video-KYC runs from 9:00 AM to 9:00 PM IST, Monday to Saturday, and your completed steps stay saved for 30 days in the meantime.
E Is the KYC video call open on a national holiday?

@ vkyc_queue | KB-003 | video-kyc | - | troubleshooting
Q how long is the wait for video kyc, been in queue for ages
Q queue position 14, is that normal? how long will it take
Q i am stuck in the waiting screen for the video call
Q Why do I have to wait in line for the KYC call
Q[1] my queue number isn't moving, can you push me up
Q waiting to connect with the kyc agent for 8 min now
Q[0,2] I left the app for a minute and my queue spot was gone!
A When all agents are busy you join a queue; the screen shows your position and estimated wait, and the typical wait is under 10 minutes. Keep the app open on the queue screen, because leaving the app or locking the phone for more than 60 seconds removes you from the queue.
A The queue moves in order and support can't move your position up. To skip the wait, book a slot with Onboarding > Video-KYC > Schedule a call; an agent answers within 5 minutes of the booked time. The quietest time is 9:00 AM to 11:00 AM IST.
A Typical waits are under 10 minutes, but 6:00 PM to 9:00 PM IST is the busiest period. Stay on the queue screen with the app open, since leaving it for more than 60 seconds drops your place, or schedule a call from Onboarding > Video-KYC > Schedule a call.
E How can I avoid waiting so long in the video kyc line?

@ vkyc_agent_busy | KB-003 | video-kyc | AGENT_BUSY | troubleshooting
Q AGENT_BUSY error on video kyc
Q app says AGENT_BUSY and sends me back to home screen
Q what is agent busy? i can't even join the queue
Q Keep getting AGENT_BUSY every evening when I try the KYC call
Q AGENT_BUSY three times in a row, is your kyc team even working?
Q video verification says all agents busy, code AGENT_BUSY
A AGENT_BUSY means the video-KYC queue is full at the moment. Please try again after 15 minutes, or book a slot with Onboarding > Video-KYC > Schedule a call so an agent answers within 5 minutes of your booked time.
A Sorry about the wait. AGENT_BUSY appears when the queue is full, which is most common from 6:00 PM to 9:00 PM IST. Try again after 15 minutes, call between 9:00 AM and 11:00 AM IST when it's quietest, or schedule a call from Onboarding > Video-KYC > Schedule a call.
E The KYC call won't even put me in line, it just shows AGENT_BUSY

@ vkyc_schedule | KB-004 | video-kyc | - | how-to
Q can I book a time for video kyc instead of waiting
Q how do i schedule the verification video call
Q[0,2] Is there an option to fix an appointment for vkyc tomorrow evening
Q[1] i missed my scheduled kyc slot, what happens now
Q[1] how to reschedule my video kyc booking
Q[0,2] how many days in advance can I book the KYC call
Q[0,2] want to set a slot for the video call on saturday morning, how?
A Yes. Go to Onboarding > Video-KYC > Schedule a call and pick a 15-minute slot up to 3 days ahead, within 9:00 AM to 9:00 PM IST, Monday to Saturday. You'll get a reminder 10 minutes before, and an agent answers within 5 minutes of the booked time.
A Open Onboarding > Video-KYC > Schedule a call to book, reschedule or cancel a slot; changes are allowed up to 30 minutes before it starts. If you miss a slot, just book another one or join the normal queue during service hours.
A Slots can be booked up to 3 days ahead from Onboarding > Video-KYC > Schedule a call. At the booked time, open Onboarding > Video-KYC and tap Join scheduled call.
E Can I pick a fixed time slot for my KYC video call?

@ vkyc_network | KB-005 | video-kyc | - | how-to
Q what internet speed do i need for video kyc
Q can I do the KYC call on mobile data or only wifi
Q My internet is slow, will video kyc work on 3G?
Q video keeps freezing during kyc, what network is required
Q any device requirements for the video verification?
Q is hotspot from my laptop fine for video kyc
A Use 4G, 5G or Wi-Fi with at least 1 Mbps upload speed, and avoid switching networks during the call. Use your phone's front camera, sit somewhere quiet and well lit, and close other apps that use the camera.
A Video-KYC needs a stable connection of at least 1 Mbps upload on 4G, 5G or Wi-Fi. Keep at least 20% battery, stay in one place, and keep the NovaPay app on screen for the whole call.
E what connection do I need so the kyc video doesn't lag

@ vkyc_permissions | KB-005 | video-kyc | - | troubleshooting
Q video kyc says camera permission denied
Q the agent can't hear me on the kyc call
Q i denied location access by mistake, now video kyc won't start
Q[0] my camera shows black screen in the video call
Q mic not working in vkyc, agent asked me to rejoin
A Allow camera, microphone and location permissions for NovaPay in your phone's Settings > Apps > NovaPay > Permissions, then restart the call. Also close any other app that uses the camera or mic, such as video-calling apps.
A Please enable camera, microphone and location for NovaPay in Settings > Apps > NovaPay > Permissions and start the call again from Onboarding > Video-KYC. The call also checks that you are in India, so location must stay on.
E The KYC video won't start because I blocked the mic permission earlier

@ vkyc_abroad | KB-005 | video-kyc | - | policy
Q can I do video kyc from dubai? i'm travelling
Q I'm abroad for work, can i finish kyc from the UK
Q my pan upload is done but i'm in singapore for a month, can the video call happen from here
Q is video verification allowed outside india
A Video-KYC must be done while you are physically in India, because your location is checked at the start of the call. Your completed steps stay saved for 30 days, so you can finish the call once you're back.
A Sorry, the video-KYC call only works from within India, with location access turned on for NovaPay. Your other completed onboarding steps stay saved for 30 days.
E Can I complete the KYC video while on holiday in Thailand?

@ vkyc_disconnected | KB-006 | video-kyc | VKYC_DISCONNECTED | troubleshooting
Q call got cut in the middle of video kyc, VKYC_DISCONNECTED
Q my net went off during the kyc video call. do i have to do everything again?
Q VKYC_DISCONNECTED error what to do
Q the app crashed during video kyc with the agent
Q video kyc dropped twice, is my application rejected now
Q got disconnected from the agent halfway, can I continue
A Rejoin within 10 minutes from Onboarding > Video-KYC > Rejoin call to resume the same session. After 10 minutes you start a new call, but your PAN, Aadhaar and selfie stay saved, and a dropped call doesn't count as a rejected attempt.
A VKYC_DISCONNECTED means the call dropped because of the network or the app closing. Tap Onboarding > Video-KYC > Rejoin call within 10 minutes to continue; after that, just start a new call. Use a stable connection with at least 1 Mbps upload to avoid more drops.
E the verification call cut off suddenly, how do I get back in?

@ vkyc_prepare | KB-007 | video-kyc | - | how-to
Q what do i need to keep ready for the video kyc call
Q how long does the video KYC call take?
Q what will the agent ask during video verification
Q Do I need a pen and paper for vkyc? someone told me
Q first time doing video kyc, any tips
Q which documents should be in my hand during the video call
A Keep your original physical PAN card, a blank white paper and a blue or black pen ready; the agent will ask you to show the PAN and sign on the paper. The call takes about 5 minutes, so sit in a quiet, well-lit place with your face clearly visible.
A The call takes about 5 minutes. The agent confirms your details, asks you to show your PAN card to the camera, captures your signature on a blank white paper and takes a live photo, so keep the original PAN, paper and a blue or black pen handy.
E what should I have next to me before starting the KYC video?

@ vkyc_epan_on_call | KB-007 | video-kyc | - | policy
Q can i show e-pan on my laptop during the video kyc
Q I lost my PAN card, will a photocopy work on the video call?
Q Is a photo of my pan card on another phone ok for vkyc
Q only have the pdf pan, not the physical card, can i still do the call
Q will the agent accept a xerox of pan
A On the video-KYC call you must show your original physical PAN card; photocopies, photos and an e-PAN shown on another screen are not accepted. If you have lost the card, order a reprint and do the call once it arrives; your completed steps stay saved for 30 days.
A Only the original physical PAN card is accepted on the call. An e-PAN PDF is fine for the PAN upload step, but for video-KYC itself please keep the physical card ready.
E does the agent accept a PAN printout during the call?

@ vkyc_result | KB-008 | video-kyc | - | policy
Q finished the kyc call, when will my account open
Q how long for video kyc approval?
Q[1] i did the video call yesterday, still no update
Q how will I know if video kyc is approved
Q kyc call done, what happens next?
A Your video-KYC result arrives within 24 hours by notification and SMS. If approved, your savings account opens and you get your account number by SMS and email; you can follow progress in Home > Onboarding status.
A Video-KYC is reviewed within 24 hours of the call. Check Home > Onboarding status for the latest step, and if it still shows Under review after 24 hours, contact us via Help > Chat with us.
E After the video verification, how soon do I hear back?

@ vkyc_rejected | KB-008 | video-kyc | VKYC_REJECTED | troubleshooting
Q my video kyc got rejected, VKYC_REJECTED
Q why was my kyc call rejected? the agent said everything was fine
Q VKYC_REJECTED, can i try again?
Q rejected in video kyc second time now, how many tries do i get
Q[0] what are the reasons video verification is rejected
Q video KYC failed after review, now what
A The reason for VKYC_REJECTED is shown in Home > Onboarding status; common ones are the PAN card not clearly shown, poor lighting, a missing signature or someone else assisting on camera. Fix that reason and start a new call from Onboarding > Video-KYC; you can retry up to 3 times.
A You can retry video-KYC up to 3 times. Check the reason in Home > Onboarding status, fix it, and start a new call from Onboarding > Video-KYC. After 3 rejected attempts, write to support@novapay.example for a manual review.
E My KYC video was turned down, where can I see why?

@ pan_format | KB-009 | pan-upload | - | how-to
Q what file type can i upload for pan
Q max size for pan card upload?
Q can i upload pan as pdf
Q PAN upload, does it have to be a photo or scan is fine
Q where do i upload my pan card in the app
Q[1] my pan image is 8mb, it won't upload
A Upload your PAN from Onboarding > Documents > PAN as a JPG, PNG or PDF of up to 5 MB. Use the original card or the e-PAN PDF, with all four corners visible.
A PAN files can be JPG, PNG or PDF, up to 5 MB. If your file is bigger, reduce it to under 5 MB or upload the e-PAN PDF instead.
E Which formats and size limit apply to the PAN document upload?

@ pan_epan | KB-009 | pan-upload | - | policy
Q do you accept e-pan?
Q I only have the e-pan pdf from income tax site, is that ok for upload
Q my e-pan pdf is asking password, can i upload it
Q can I use the pan pdf i downloaded from nsdl
Q Is digital pan valid for account opening
A Yes, the e-PAN PDF downloaded from the Income Tax or Protean portal is accepted at Onboarding > Documents > PAN, as long as it is not password-protected. Remember that the video-KYC call itself needs your original physical PAN card.
A You can upload your e-PAN PDF (up to 5 MB) instead of a photo, but it must not be password-protected; save an unprotected copy and upload that. A PDF also avoids OCR_FAIL and PAN_GLARE issues.
E Will the downloaded electronic PAN work for the document step?

@ pan_ocr_fail | KB-010 | pan-upload | OCR_FAIL | troubleshooting
Q OCR_FAIL while uploading pan
Q pan upload failed with OCR_FAIL, photo looks fine to me
Q what does ocr fail mean
Q app not able to read my pan card, keeps saying OCR_FAIL
Q my pan is a bit old and faded and it shows ocr_fail
Q uploaded a scan of pan and got OCR_FAIL error
Q why does pan upload keep failing with ocr error
A OCR_FAIL means the app couldn't read the text on your PAN image, usually because of blur, cropping, darkness or a photocopy. Place the original card on a dark, plain surface in daylight, hold the phone steady with all four corners visible, and let the camera focus before capturing.
A This happens when the PAN image is blurry, cropped, too dark or low resolution. Retake it from Onboarding > Documents > PAN in daylight on a plain dark surface, without zooming, or upload the e-PAN PDF instead of a photo.
A OCR_FAIL is a readability problem, not a problem with your PAN. Use the original card (not a photocopy), keep all four corners in the frame and capture in daylight; after 3 failed attempts the app offers Send for manual review.
E pan photo upload error saying OCR_FAIL, what's wrong?

@ pan_ocr_repeated | KB-010 | pan-upload | OCR_FAIL | troubleshooting
Q tried 5 times, OCR_FAIL every time. any other way?
Q pan upload failing again and again, can someone verify manually
Q what is send for manual review option
Q sent my pan for manual review, how long will it take
Q OCR_FAIL for the third time now, i give up
A After 3 failed attempts, the app offers Send for manual review. A manual review is completed within 2 working days and you get a notification with the result; you can continue with the other onboarding steps meanwhile.
A If the app can't read your PAN after 3 attempts, tap Send for manual review. Our team checks it within 2 working days, and you can carry on with Aadhaar and the selfie in the meantime.
E Is there a manual option if the PAN scan keeps failing?

@ pan_glare | KB-011 | pan-upload | PAN_GLARE | troubleshooting
Q PAN_GLARE error
Q what is pan glare? my photo is clear
Q upload says glare detected on pan card
Q PAN_GLARE again even with good lighting
Q how to avoid reflection on pan photo, app keeps rejecting
Q keep getting PAN_GLARE with flash on
A PAN_GLARE means a bright reflection is covering part of your card. Switch off the flash, take the card out of any plastic cover, use indirect daylight and tilt the phone slightly until the shine disappears, then capture again.
A A reflection on the card triggers PAN_GLARE. Turn off the flash, avoid a ceiling light directly above the card and tilt the phone a little; you can also upload the e-PAN PDF, which never triggers PAN_GLARE.
E The PAN upload complains about glare, how do I fix it?

@ pan_laminated | KB-011 | pan-upload | PAN_GLARE | troubleshooting
Q my pan card is laminated and the app always shows glare
Q should i remove the plastic cover from pan before photo?
Q old laminated pan, shine everywhere in the pic
Q PAN_GLARE because of lamination, what can i do
Q plastic pouch on my pan card, is that why upload fails
A Laminated cards and plastic covers often cause PAN_GLARE. Take the card out of any sleeve, switch off the flash, and photograph it near a window with the light coming from the side, tilting the phone until the shine is gone.
A Yes, remove any plastic cover first. For a laminated card, use side light from a window instead of an overhead light and turn off the flash; if it still fails, upload your e-PAN PDF instead.
E My PAN has a plastic coating and photos keep shining, tips?

@ pan_name_mismatch | KB-012 | pan-upload | NAME_MISMATCH | troubleshooting
Q NAME_MISMATCH error during pan upload
Q my surname changed after marriage, pan has old name, app shows name mismatch
Q spelling of my name is different on pan and aadhaar
Q[1] can you change my name in the app so it matches pan
Q name mismatch between aadhaar and pan, what to do
Q[1] can support override name mismatch? its just one letter difference in spelling
A NAME_MISMATCH means the name on your PAN doesn't match the name from your Aadhaar. For spelling errors or a changed surname, update your PAN through the Protean (NSDL) portal or your Aadhaar through UIDAI so both match, then retry from Onboarding > Documents > PAN.
A Names can't be edited inside the NovaPay app, and support can't override a NAME_MISMATCH. Please correct one of the documents (PAN via the Protean portal or Aadhaar via UIDAI) and retry; your other completed steps stay saved for 30 days.
E PAN says one spelling and Aadhaar another, the app blocks me

@ pan_name_initials | KB-012 | pan-upload | NAME_MISMATCH | policy
Q my pan has initials, aadhaar has full name. will that be a problem?
Q Pan shows first name and surname swapped compared to Aadhaar
Q does the name need to match exactly on both documents?
Q on PAN my name is R. Kumar but Aadhaar says Rajesh Kumar
Q extra space in my name on aadhaar, will kyc fail
A Small differences are accepted automatically: initials instead of full names, spacing, and a different order of first name and surname. Only bigger differences, like a spelling error or a changed surname, cause NAME_MISMATCH.
A That's fine. We accept initials, spacing differences and a swapped first name and surname automatically; NAME_MISMATCH only appears for real differences such as a different spelling or surname.
E Will initials on my PAN versus my full name on Aadhaar cause issues?

@ pan_invalid | KB-013 | pan-upload | PAN_INVALID | troubleshooting
Q PAN_INVALID error but my pan is correct
Q app says pan invalid or inoperative
Q what does PAN_INVALID mean
Q my pan is not linked with aadhaar, can i still open account
Q got PAN_INVALID, i have used this pan for years
A PAN_INVALID means the Income Tax Department's records didn't confirm your PAN, either because the number was read wrongly or because the PAN is inoperative (not linked with Aadhaar). Check the 10-character PAN on the confirmation screen; if it's correct, link PAN and Aadhaar on the Income Tax e-filing portal and retry once it shows as active.
A NovaPay can't open an account with an inoperative PAN. Check your PAN-Aadhaar link status on the Income Tax e-filing portal, link it if needed, and retry from Onboarding > Documents > PAN once the link shows as active.
E The app calls my PAN inoperative, how do I proceed?

@ otp_validity | KB-014 | otp | OTP_TIMEOUT | policy
Q how long is the otp valid
Q otp expires too fast, how many seconds do i get
Q what's the validity of the sign up otp
Q is the otp 4 digit or 6 digit
Q can i use yesterday's otp
A Each NovaPay OTP is a 6-digit code sent by SMS and is valid for 120 seconds. After that the app shows OTP_TIMEOUT; tap Resend OTP for a fresh one, and only the latest OTP works.
A The OTP is valid for 120 seconds and only the most recent OTP works, so older ones are rejected. On Android, allow SMS access so the app can read the 6-digit OTP automatically.
E For how many seconds does the SMS code stay usable?

@ otp_timeout | KB-014 | otp | OTP_TIMEOUT | troubleshooting
Q OTP_TIMEOUT error
Q entered otp and got OTP_TIMEOUT even though i typed it fast
Q otp timeout while signing up
Q my otp keeps timing out, sms comes late
Q what is OTP_TIMEOUT, i entered the right code
Q otp expired before I could enter it
A OTP_TIMEOUT means the OTP was entered after its 120-second validity. Tap Resend OTP and enter the new code within 120 seconds; the old OTP stops working once a new one is sent.
A Each OTP is valid for 120 seconds, so a late SMS can expire before you type it. Tap Resend OTP (it becomes active 30 seconds after each OTP) and use only the latest code; on Android, allowing SMS access lets the app fill it in automatically.
E The code I typed was right but the app said OTP_TIMEOUT

@ otp_resend_limit | KB-015 | otp | OTP_LOCKED | policy
Q how many times can i resend otp
Q resend otp button is greyed out
Q is there a limit on otp requests
Q why can't i tap resend otp immediately
Q resend otp not working after few tries
A Resend OTP becomes active 30 seconds after each OTP is sent, and you can resend up to 3 times in 30 minutes. Going beyond that locks OTP requests for 30 minutes with OTP_LOCKED.
A The Resend OTP button unlocks 30 seconds after each OTP. You get up to 3 resends in 30 minutes; after that, OTP requests are locked for 30 minutes, so wait for each SMS before resending.
E Why is the resend button disabled, and how many resends do I have?

@ otp_locked | KB-015 | otp | OTP_LOCKED | troubleshooting
Q OTP_LOCKED
Q app says otp locked, try after some time
Q[0] i'm locked out of otp, can you unlock it now? urgent
Q[0] will reinstalling the app remove otp lock
Q how long is the otp lockout
Q OTP_LOCKED after too many attempts, need to login today
A OTP_LOCKED means OTP requests are locked for 30 minutes, either after 3 resends in 30 minutes or after 5 wrong OTP entries. The lock lifts automatically after 30 minutes; support can't remove it earlier and reinstalling the app doesn't reset it.
A Please wait 30 minutes for the OTP lock to lift automatically. After that, request one new OTP and wait for it to arrive before tapping Resend, since you get up to 3 resends in 30 minutes.
E I'm blocked from getting OTPs, how long must I wait?

@ otp_invalid | KB-015 | otp | OTP_INVALID | troubleshooting
Q OTP_INVALID even though i typed the code from sms
Q says wrong otp every time
Q how many wrong otp tries before lock
Q entered old otp by mistake, OTP_INVALID
Q invalid otp error when logging in
A OTP_INVALID means the code didn't match; only the latest OTP works, so use the code from the most recent SMS. After 5 wrong entries, OTP requests are locked for 30 minutes with OTP_LOCKED.
A Make sure you're entering the newest OTP, because each resend cancels the older one. You have up to 5 attempts before a 30-minute lock, so if in doubt tap Resend OTP (after 30 seconds) and use the new code.
E The app keeps rejecting my code as OTP_INVALID

@ otp_not_received | KB-016 | otp | - | troubleshooting
Q not getting otp
Q otp sms not coming on my number
Q I have DND active, is that why no otp?
Q didn't receive any otp for signup since morning
Q otp not received, network is full
Q otp never arrives. help
Q[0] sms inbox full, could that block otp?
A Make sure the SIM with your registered number is in this phone and has signal, toggle airplane mode on and off once, and free up space if your SMS inbox is full. DND does not block OTPs; wait 30 seconds and tap Resend OTP (up to 3 resends in 30 minutes).
A Check that your registered SIM is in this phone with signal, and that no SMS-blocking or spam-filter app is hiding the message. DND registration does not block OTPs. If nothing arrives after 3 resends, wait for the 30-minute lock to end or contact us via Help > Chat with us.
E The verification SMS never shows up on my phone

@ otp_dual_sim | KB-016 | otp | - | troubleshooting
Q i use dual sim, otp going to which sim?
Q otp not coming, my registered sim is in my other phone
Q i'm on international roaming, otp is late
Q travelling abroad and otp comes after 5 min
Q registered number is on sim 2, is that ok
A The OTP goes to your registered mobile number, so that SIM must be in the phone you're using; on dual-SIM phones, check the SMS for the right SIM. On international roaming OTPs can be delayed by a few minutes, and each OTP is valid for 120 seconds.
A Either SIM slot works as long as the SIM with your registered number is in this phone and has signal. On roaming, OTPs can be delayed by a few minutes; if one expires, tap Resend OTP (up to 3 resends in 30 minutes).
E My registered SIM is in slot two, is that why the OTP isn't arriving?

@ docs_checklist | KB-017 | documents | - | how-to
Q what documents are needed to open account
Q docs required for novapay savings account?
Q do i need aadhaar card photo for signup
Q list of documents for kyc
Q what all will i need before starting account opening
Q is a passport mandatory for opening the account or are pan and aadhaar enough
A You need your PAN (original card or e-PAN PDF), Aadhaar verified by OTP (so your mobile must be linked to Aadhaar), and a live selfie taken in the app. Address proof is needed only if your current address differs from your Aadhaar.
A Keep your PAN, your Aadhaar-linked mobile for the Aadhaar OTP, and your phone for a live selfie; add address proof only if you live somewhere other than your Aadhaar address. For the video-KYC call, also keep the original physical PAN card, a blank white paper and a blue or black pen.
E What paperwork is required before I start opening the account?

@ address_proof_needed | KB-017,KB-020 | documents | - | policy
Q do i need address proof if i live at my aadhaar address
Q I moved to bangalore, my aadhaar has my hometown address
Q address on aadhaar is old, is that a problem
Q when is address proof required
Q current address different from aadhaar, what should i do
A Address proof is needed only if your current address differs from the address on your Aadhaar. If it does, upload a utility bill not older than 2 months, a registered rent agreement, a passport or a voter ID at Onboarding > Documents > Address proof.
A If you live at your Aadhaar address, no address proof is needed. If you've moved, upload one accepted document (utility bill not older than 2 months, registered rent agreement, passport or voter ID) as JPG, PNG or PDF up to 5 MB.
E I rent a flat in another city, do I have to upload anything extra?

@ aadhaar_otp | KB-018 | documents | AADHAAR_OTP_FAIL | troubleshooting
Q AADHAAR_OTP_FAIL
Q aadhaar otp not coming, my old number is linked
Q my mobile is not linked to aadhaar, can i still open account
Q[0] aadhaar otp goes to which number?
Q aadhaar verification failed, no otp received
Q[0] how long is aadhaar otp valid
A The Aadhaar OTP is sent by UIDAI to the mobile linked to your Aadhaar, which can be different from your NovaPay number, and it's valid for 10 minutes. If no number is linked or you no longer have it, you'll see AADHAAR_OTP_FAIL; update your mobile at an Aadhaar Seva Kendra and retry from Onboarding > Documents > Aadhaar.
A AADHAAR_OTP_FAIL means the OTP couldn't reach the mobile linked to your Aadhaar. Please update your Aadhaar-linked number at an Aadhaar Seva Kendra, then retry from Onboarding > Documents > Aadhaar.
E The Aadhaar step fails because my old SIM is on Aadhaar

@ aadhaar_privacy | KB-018 | documents | - | policy
Q do you store my full aadhaar number?
Q is it safe to give aadhaar to novapay
Q should i upload aadhaar card photo or just otp
Q why does the app only show last 4 digits of aadhaar
A NovaPay stores only the last 4 digits of your Aadhaar number and never shows the full number again. You don't need to upload an Aadhaar photo; the UIDAI OTP verification is enough.
A Aadhaar is verified only through the UIDAI OTP, so no card photo is needed, and we keep just the last 4 digits of the number.
E Does NovaPay keep my complete Aadhaar number on file?

@ selfie_tips | KB-019 | documents | - | how-to
Q selfie upload not accepted
Q[0] can i upload selfie from gallery
Q[1] can i wear specs in the selfie
Q selfie keeps failing, any tips
Q do i need to remove my cap for the selfie
A The selfie is taken live from Onboarding > Documents > Selfie; gallery photos aren't accepted. Face the front camera in good light with your face inside the oval, remove any cap, mask or sunglasses, and keep a plain background with nobody else in the frame.
A Regular glasses are fine if there's no reflection, but caps, masks and sunglasses must come off. Take the live selfie in good light against a plain background, with your face inside the oval.
E Tips for getting the live selfie accepted?

@ selfie_face_match | KB-019 | documents | FACE_MATCH_FAIL | troubleshooting
Q FACE_MATCH_FAIL on selfie
Q face match fail, my pan photo is 10 years old
Q selfie says face does not match pan
Q FACE_MATCH_FAIL 3 times, stuck now
Q i have a beard now, face match failing
A FACE_MATCH_FAIL means your selfie didn't match the photo on your PAN. Retake it in better light with your face inside the oval; after 3 FACE_MATCH_FAIL attempts you can continue, and the agent verifies your face during the video-KYC call instead.
A We compare your selfie with your PAN photo, and old photos or a new look can cause FACE_MATCH_FAIL. Try again in good light without cap, mask or sunglasses; after 3 attempts the app lets you continue and your face is checked on the video-KYC call.
E The selfie step says my face doesn't match my PAN picture

@ address_proof_types | KB-020 | documents | - | policy
Q which documents are accepted as address proof
Q can i use my rent agreement as address proof
Q is gas bill ok for address proof?
Q[1] can I give my driving licence as address proof
Q postpaid mobile bill valid for address?
A Accepted address proofs are a utility bill (electricity, water, piped gas, postpaid mobile or broadband) not older than 2 months, a registered rent agreement, a passport or a voter ID. Upload it at Onboarding > Documents > Address proof as JPG, PNG or PDF up to 5 MB.
A We accept a utility bill not older than 2 months, a registered rent agreement, a passport or a voter ID; the name on it must match your PAN. Other documents aren't accepted as address proof at the moment.
E Which papers count as proof of my current address?

@ address_doc_expired | KB-020 | documents | DOC_EXPIRED | troubleshooting
Q DOC_EXPIRED on address proof
Q electricity bill from 4 months back rejected
Q why is my passport rejected, says doc expired
Q address proof upload error DOC_EXPIRED
Q how old can the utility bill be
A DOC_EXPIRED means the document is too old: utility bills must not be older than 2 months, and passports must be valid. Upload a newer bill or another accepted document (registered rent agreement, valid passport or voter ID) at Onboarding > Documents > Address proof.
A Utility bills older than 2 months and expired passports are rejected with DOC_EXPIRED. Please upload your latest bill, or a registered rent agreement or voter ID instead.
E My electricity bill got rejected as too old, what now?

@ account_opening_time | KB-021 | account | - | policy
Q how long does it take to open account
Q when will i get my account number
Q kyc done, when can i start using the account
Q when do I get debit card after account opening
A After a successful video-KYC, your savings account opens within 24 hours, and you get your account number by SMS and email. Your virtual debit card is ready in the app right away, and a physical card can be ordered from Cards.
A Account opening completes within 24 hours of a successful video-KYC. You'll get the account number by SMS and email, and the free virtual debit card appears in the app immediately.
E How soon after KYC is my savings account live?

@ onboarding_status | KB-021 | account | - | how-to
Q how do I check my application status
Q where can i see which onboarding step is pending
Q[0] status says action needed, what does that mean
Q[1] under review since 2 days after video kyc
Q how to track account opening
A Check Home > Onboarding status; it shows each step as Done, Pending or Action needed. Action needed means you have to redo or complete that step, and tapping it takes you there.
A Go to Home > Onboarding status to see every step. If it still shows Under review more than 24 hours after your video-KYC, contact us via Help > Chat with us.
E Where in the app can I follow my account application?

@ application_expiry | KB-021 | account | - | policy
Q i started signup 2 weeks ago, do i have to start again
Q how long is my onboarding progress saved
Q does my application expire if i don't complete
Q left kyc midway last month, is my data still there
A Completed onboarding steps stay saved for 30 days. If onboarding isn't finished within 30 days, the application expires and you start again; we send reminders after 3 days and after 25 days of inactivity.
A Your progress is saved for 30 days from the steps you completed, so you can continue from Home > Onboarding status. After 30 days without finishing, the application expires and you'll need to start over.
E If I pause the signup halfway, how long do I have to come back?

@ eligibility | KB-022 | account | - | policy
Q can an nri open novapay account
Q i am 17, can i open account
Q who is eligible for novapay savings account
Q can i open two accounts with the same pan
Q can my son who is minor have a novapay account
A NovaPay savings accounts are for Indian residents aged 18 or above, with a valid PAN linked to Aadhaar and an Aadhaar with a linked mobile number. NRIs and minors can't open an account at present, and only one account is allowed per PAN.
A You need to be an Indian resident aged 18 or above with a valid, Aadhaar-linked PAN. There's one NovaPay savings account per PAN, and NRIs and minors aren't eligible at present.
E Am I allowed to open a second NovaPay account on my PAN?

@ account_features | KB-022 | account | - | policy
Q is there a minimum balance
Q any charges if balance goes low
Q do i get a debit card with the account
Q what is zero balance account in novapay
A The NovaPay savings account has zero minimum balance, so there's no charge if your balance is low. You get a free virtual debit card on opening and can order a physical card from Cards.
A There's no minimum balance requirement and no low-balance charge. The account comes with a free virtual debit card, UPI payments and a UPI ID in the form yourmobilenumber@novapay.
E Do I need to keep some minimum amount in the account?
"""

# --------------------------------------------------------------------------
# English intents: account support (login, payments, refunds, app, cards ...)
# --------------------------------------------------------------------------
INTENTS_SUPPORT = r"""
@ login_new_device | KB-023 | login | - | how-to
Q how do i login on my new phone
Q got a new iphone, how to move novapay to it
Q reinstalled the app, now what do i enter to log in
Q can i use novapay on two phones at the same time
Q logged in on my tablet and my phone got logged out, why
Q login steps after changing handset?
A On a new device, enter your registered mobile number, verify the OTP, then enter your 4-digit MPIN. NovaPay can be active on only one device at a time, so logging in on the new phone logs out the old one.
A Install NovaPay on the new phone and log in with your registered mobile number, the OTP and your MPIN. Only one device can be active at a time, and for 24 hours after logging in on a new device UPI payments are limited to ₹5,000 in total.
E What's the login process after I switch to a different phone?

@ biometric_login | KB-023 | login | - | how-to
Q how to enable fingerprint login
Q can i use face id instead of mpin
Q where is the biometric option in settings
Q[1] fingerprint login stopped working after update
A Turn on fingerprint or face login in Profile > Security > Biometric login. You can always log in with your 4-digit MPIN if biometrics don't work.
A Go to Profile > Security > Biometric login and switch it on; if it stopped working, turn it off and on again there. Your 4-digit MPIN always works as a fallback.
E Is there a way to unlock the app with my fingerprint?

@ login_locked | KB-024 | login | LOGIN_LOCKED | troubleshooting
Q LOGIN_LOCKED
Q entered wrong mpin many times, account locked
Q app says login locked for 24 hours, i need to pay rent today
Q[1] can support unlock my account? LOGIN_LOCKED
Q[0] how many wrong mpin attempts allowed
Q locked out of novapay after forgetting mpin
Q[1] is my money safe, my login got locked
A After 5 wrong MPIN attempts, login is locked for 24 hours with LOGIN_LOCKED. To unlock right away, tap Forgot MPIN on the login screen, verify the OTP, enter your PAN and set a new 4-digit MPIN; the lock is removed immediately.
A The fastest fix is Forgot MPIN on the login screen: verify the OTP, enter your PAN and set a new 4-digit MPIN, and the lock lifts at once. Support can't unlock it manually, and your money and transactions are not affected.
E My account got locked after I mistyped the MPIN several times

@ reset_mpin | KB-025 | login | - | how-to
Q how to change mpin
Q i want to reset my mpin, i remember the old one
Q where is change mpin option
Q can i set mpin as 1234
Q why does app reject my new mpin
Q change app pin
A If you know your current MPIN, go to Profile > Security > Reset MPIN, enter the current MPIN, verify the OTP and set a new one. The new MPIN can't match any of your last 3 MPINs, and simple patterns like 1234 or 1111 aren't allowed.
A Go to Profile > Security > Reset MPIN to change it. Resetting your MPIN doesn't change your UPI PIN, and the new 4-digit MPIN can't be one of your last 3 or a simple pattern like 1234.
E How can I update my login PIN from inside the app?

@ forgot_mpin | KB-025 | login | - | how-to
Q forgot my mpin
Q i don't remember the 4 digit pin for login
Q forgot mpin, what details will it ask
Q how to recover mpin, can't log in
Q Forgot password for novapay app
A Tap Forgot MPIN on the login screen, verify the OTP sent to your registered mobile number, enter your PAN and set a new 4-digit MPIN. This doesn't change your UPI PIN.
A No problem: on the login screen tap Forgot MPIN, verify the OTP, confirm your PAN and choose a new 4-digit MPIN. It can't be one of your last 3 MPINs or a simple pattern like 1111.
E I can't recall the PIN I use to open NovaPay

@ mpin_vs_upi_pin | KB-025,KB-026 | login | - | how-to
Q what's the difference between mpin and upi pin
Q is mpin same as upi pin?
Q i changed mpin, do i need to change upi pin also
Q which pin do i enter to pay, the 4 digit or 6 digit
A Your MPIN is the 4-digit code to log in to the app; your UPI PIN is the 6-digit PIN you enter to approve every UPI payment. They are separate, so resetting one doesn't change the other.
A They're different: the 4-digit MPIN opens the app, and the 6-digit UPI PIN approves payments. Reset the MPIN in Profile > Security > Reset MPIN and the UPI PIN in Profile > Payments > Reset UPI PIN.
E Are the app login PIN and the payment PIN the same thing?

@ reset_upi_pin | KB-026 | payments | - | how-to
Q how to reset upi pin
Q forgot upi pin
Q what details are needed to set new upi pin
Q[0] i don't have my debit card, how to change upi pin
Q change upi pin novapay
A Go to Profile > Payments > Reset UPI PIN, enter the last 6 digits and expiry date of your NovaPay debit card, verify the OTP and set a new 6-digit UPI PIN. Your virtual debit card details in Cards work for this too.
A To reset your UPI PIN, open Profile > Payments > Reset UPI PIN and use your NovaPay debit card's last 6 digits and expiry date plus an OTP. This doesn't change your 4-digit MPIN.
E What do I need to set a fresh UPI PIN?

@ upi_zm | KB-026,KB-030 | payments | UPI_ZM | troubleshooting
Q UPI_ZM
Q payment failed UPI_ZM, was money deducted
Q entered wrong upi pin 3 times, now upi blocked
Q reset upi pin but still can't pay after wrong attempts
Q how long is upi blocked after wrong pin
Q upi not working after i typed the wrong pin
A UPI_ZM means the UPI PIN was wrong, and no money is deducted. After 3 wrong UPI PIN attempts in a day, UPI payments are blocked for 24 hours; the block lifts automatically, and resetting the UPI PIN doesn't lift it earlier.
A A wrong UPI PIN fails the payment with UPI_ZM without deducting money. If you've forgotten it, reset it in Profile > Payments > Reset UPI PIN, but note that after 3 wrong attempts in a day, UPI stays blocked for 24 hours regardless.
E The payment said UPI_ZM, did I lose money?

@ change_mobile | KB-027 | account | - | how-to
Q how to change registered mobile number
Q i got a new number, how do i update it
Q[1] lost my old sim, want to change number in novapay
Q[0] will my upi id change if i change number
Q update phone number in account
A Go to Profile > Security > Change mobile number and verify the OTPs sent to both your old and new numbers; the change is immediate and your default UPI ID becomes newnumber@novapay. For 24 hours after the change, UPI payments are limited to ₹5,000 in total.
A If you still have your old SIM, use Profile > Security > Change mobile number with OTPs on both numbers. If the old SIM is lost, contact us via Help > Chat with us; we verify you with a fresh video-KYC call and update the number within 2 working days.
E How do I switch the phone number linked to my NovaPay account?

@ new_device_cooling | KB-028 | login | - | policy
Q why can i only pay 5000 on my new phone
Q limit of 5000 after logging in on new device
Q[1] can you remove the 24 hour limit, i need to pay 20000 today
Q after reinstalling app upi limit is 5000, why
Q new phone, payment blocked saying limit
A For 24 hours after you log in on a new device, change your number or reinstall the app, UPI payments are limited to ₹5,000 in total; this protects you from SIM-swap and phone-theft fraud. The limit lifts automatically after 24 hours, and the exact time is shown on the payment screen.
A This is our new-device cooling period: ₹5,000 in total for UPI payments for 24 hours. Support can't remove it early, but receiving money and wallet top-ups aren't affected, and the full limit returns automatically after 24 hours.
E Why is UPI capped at 5k since I installed NovaPay on my new phone?

@ upi_limits | KB-029 | payments | - | policy
Q what is the upi limit per day
Q max upi transactions in a day?
Q[1] can i send 1.5 lakh by upi
Q when does the upi limit reset
Q[0] how much can i pay in one upi transaction
A You can send up to ₹1,00,000 per day by UPI, with at most ₹1,00,000 in a single payment and up to 20 UPI payments per day. The daily counters reset at midnight IST.
A UPI on NovaPay allows up to ₹1,00,000 per day and 20 payments per day, resetting at midnight IST. For larger amounts, use a bank transfer (IMPS/NEFT) from Accounts > Transfer.
E How much money can I move by UPI in a single day?

@ limit_exceeded | KB-029 | payments | LIMIT_EXCEEDED | troubleshooting
Q LIMIT_EXCEEDED
Q payment failed limit exceeded but i have money
Q can you increase my upi limit to 2 lakh
Q LIMIT_EXCEEDED while paying rent
Q made 20 payments today and now it says limit exceeded
Q how to increase upi limit
A LIMIT_EXCEEDED means the payment would cross a UPI limit (₹1,00,000 per day or 20 payments per day), and no money is deducted. The counters reset at midnight IST; the limit can't be raised above ₹1,00,000, so for larger amounts use IMPS/NEFT from Accounts > Transfer.
A UPI limits can't be raised above ₹1,00,000 per day. Wait for the reset at midnight IST, or send the amount by bank transfer (IMPS/NEFT) from Accounts > Transfer; no money was deducted for the blocked payment.
E Can you lift my UPI cap for a big payment tomorrow?

@ lower_limit | KB-029 | payments | - | how-to
Q can i set a lower upi limit for safety
Q how to reduce daily upi limit
Q i want max 10000 per day on upi
Q where are upi limit settings
A Yes, go to Profile > Payments > UPI limits and set a lower daily limit. You can lower it anytime, but it can't go above ₹1,00,000 per day.
A Open Profile > Payments > UPI limits to set a lower daily UPI limit, for example ₹10,000. The maximum remains ₹1,00,000 per day.
E Is there a setting to restrict how much UPI I spend daily?

@ upi_u30 | KB-030 | payments | UPI_U30 | troubleshooting
Q UPI_U30
Q payment failed with UPI_U30, what does it mean
Q getting U30 error on every upi payment
Q UPI_U30 but money got cut from my account
Q sent money to friend, failed with code UPI_U30
Q U30 error paying at petrol pump
A UPI_U30 means the debit failed at your bank, and usually no money is deducted. Wait 15 minutes and retry, or pay from another linked account; if money was deducted anyway, it is reversed automatically within 3 working days.
A That code comes from your bank: the debit failed on their side. Try again after 15 minutes or use another linked account. Any amount deducted for a UPI_U30 payment is reversed automatically within 3 working days.
E what's UPI_U30 on my failed transfer?

@ upi_z9 | KB-030 | payments | UPI_Z9 | troubleshooting
Q UPI_Z9 error
Q[1] payment failed Z9 but i have balance
Q what is UPI_Z9
Q got UPI_Z9 paying from my other bank account
A UPI_Z9 means there wasn't enough balance in the account you paid from. Add money or choose another linked account, then pay again.
A UPI_Z9 is an insufficient balance error from the account you selected; check which account was chosen on the payment screen, since it may not be the one with money. Switch accounts or add money and retry.
E UPI payment failed with Z9, what's the reason?

@ debited_failed | KB-031 | payments | - | troubleshooting
Q money debited but payment failed
Q amount deducted from bank but transaction shows failed
Q paid 2300 to swiggy, failed but money gone
Q upi failed but my account got debited, will i get it back?
Q payment failed but bank sent debit sms
Q shop owner says he didn't get money but my account is debited
Q transaction failed amount cut what to do
A When a payment fails after your bank debits the money, the amount is reversed automatically to the same account within 3 working days; you don't need to raise a request. Please don't pay the merchant twice unless they confirm they didn't receive the money.
A Don't worry, the money isn't lost. Debited-but-failed payments are reversed automatically within 3 working days. If it isn't back by then, go to Transactions > select the payment > Report an issue with the 12-digit UTR number.
A This happens when your bank debits the amount but the receiver's bank doesn't confirm in time. The money is reversed automatically within 3 working days; if it isn't, report it from Transactions > select the payment > Report an issue.
E My UPI shows failed yet the amount left my account

@ debited_not_reversed | KB-031 | payments | - | troubleshooting
Q its been 5 days, failed payment money still not back
Q reversal not received after 3 working days
Q how to raise complaint for failed transaction amount
Q where do i find utr number
Q still no reversal for my failed upi payment from last week
A If the money isn't back after 3 working days, go to Transactions > select the payment > Report an issue and keep the 12-digit UTR number shown on the payment ready. Disputes raised this way are resolved within 7 working days.
A Please raise a dispute from Transactions > select the payment > Report an issue; the 12-digit UTR is shown on the same payment screen. We resolve these within 7 working days.
E The failed payment amount hasn't returned after a week, how do I complain?

@ payment_pending | KB-032 | payments | PAYMENT_PENDING | troubleshooting
Q PAYMENT_PENDING
Q payment stuck in pending
Q transaction pending since 1 hour, should i pay again
Q what does PAYMENT_PENDING mean
Q electricity bill payment showing pending status
Q how long will pending payment take
Q[1] it says PAYMENT_PENDING for 2 days now
A PAYMENT_PENDING means the bank hasn't confirmed the payment yet. Most get a final status within 2 hours, rarely up to 48 hours; please don't pay again meanwhile, and if it finally fails, any deducted amount is reversed automatically within 3 working days.
A Please wait rather than paying again, or you may pay twice. Most pending payments are final within 2 hours and all within 48 hours; if it still shows PAYMENT_PENDING after 48 hours, go to Transactions > select the payment > Report an issue.
E My transfer is stuck as pending, do I retry?

@ wallet_limits | KB-035 | payments | LIMIT_EXCEEDED | policy
Q what is the wallet limit
Q[0] wallet top up failed limit exceeded
Q why can't i add more than 10000 to wallet
Q max balance in novapay wallet
Q can i transfer wallet money to bank
A Before video-KYC, the minimum-KYC wallet has a maximum balance of ₹10,000 and can't transfer to a bank. After video-KYC, the full-KYC wallet allows up to ₹2,00,000 and wallet-to-bank transfers; a top-up that would cross your limit is blocked with LIMIT_EXCEEDED and no money is deducted.
A The wallet limit depends on your KYC: ₹10,000 maximum balance with minimum KYC, and ₹2,00,000 with full KYC after video-KYC. Wallet-to-bank transfers are available only with full KYC.
E How much can my NovaPay wallet hold?

@ wallet_add_money | KB-035 | payments | - | how-to
Q how to add money to wallet
Q can i load wallet with credit card
Q any charges for adding money to wallet
Q does wallet balance expire
A Add money from Wallet > Add money using UPI or a debit card, free of charge. Credit cards aren't accepted for wallet top-ups, and your wallet balance doesn't expire.
A Top up from Wallet > Add money with UPI or a debit card; there's no fee. Credit cards can't be used, and the balance doesn't expire or earn interest.
E Can I top up the wallet using my credit card?

@ upi_id | KB-036 | payments | - | how-to
Q[0] what is my upi id
Q how to create custom upi id
Q[0] where can i see my qr code to receive money
Q[1] someone asking my upi pin to send me money, is that ok?
Q can i change my upi id to my name
A Your default UPI ID is yourmobilenumber@novapay; see or share it in Profile > Payments > UPI ID, or show your QR code from Home > Receive. You can create one custom ID (like priya.k@novapay) in Profile > Payments > UPI ID > Create custom ID.
A You can create one custom UPI ID in Profile > Payments > UPI ID > Create custom ID. Remember you never need your UPI PIN to receive money; anyone asking for it to "send" you money is attempting fraud.
E where do I find the UPI handle people can pay me on?

@ refund_timelines | KB-033 | refunds | - | policy
Q how long does refund take
Q cancelled my order, when will i get refund
Q refund time for upi payments
Q flipkart refund initiated, how many days
Q what are refund timelines
A Refund timelines start when the merchant initiates the refund: 3 to 5 working days if you paid by UPI, within 24 hours if you paid from your NovaPay wallet, and 5 to 7 working days if you paid by NovaPay debit card. You'll get an SMS when it's credited.
A Once the merchant initiates it, a UPI refund takes 3 to 5 working days, a wallet refund arrives within 24 hours, and a debit card refund takes 5 to 7 working days. Working days exclude Sundays and bank holidays.
E After a merchant refunds me, how many days until I see it?

@ refund_wallet_card | KB-033 | refunds | - | policy
Q paid with novapay wallet, when will refund come
Q refund to debit card how long
Q refund for card payment still not credited after 3 days
Q i paid from wallet and cancelled, where will refund go
A Wallet payments are refunded to your wallet within 24 hours, and debit card payments are refunded to your account in 5 to 7 working days, counted from when the merchant initiates the refund.
A A refund goes back the way you paid: wallet payments return to your wallet within 24 hours, and NovaPay debit card payments take 5 to 7 working days after the merchant initiates the refund.
E How quickly do refunds reach the wallet compared to the card?

@ refund_track | KB-034 | refunds | - | how-to
Q how to check refund status
Q where can i see my refund reference number
Q track refund in app
Q is my refund initiated? how to check
A Open Transactions > select the payment > Refund status. It shows the date the merchant initiated the refund and the refund reference number.
A Go to Transactions, tap the payment and open Refund status to see when the merchant initiated the refund and its reference number.
E How can I see whether the merchant has started my refund?

@ refund_overdue | KB-034 | refunds | - | troubleshooting
Q refund not received after 7 days
Q merchant says refund done but i didn't get it
Q refund overdue, how to complain
Q amazon refunded 10 days back still not in my account
Q refund not came yet
A If the refund hasn't arrived within its timeline, tap Report an issue on the payment in Transactions, choose Refund not received and add the merchant's refund reference number if you have one. We follow up with the bank and update you within 7 working days.
A Please raise it from Transactions > select the payment > Report an issue > Refund not received, adding the refund reference number from the merchant. We'll chase the bank and update you within 7 working days.
E The shop says my refund went through but nothing has arrived

@ refund_not_initiated | KB-034 | refunds | - | policy
Q can novapay refund me, merchant is not responding
Q merchant hasn't processed refund, can you reverse the payment
Q i want a refund for a wrong order, can novapay cancel it
A NovaPay can't start a refund on the merchant's behalf, so please contact the merchant first to initiate it. Once they do, you can track it in Transactions > select the payment > Refund status.
A Refunds have to be initiated by the merchant; we can't do it for them. Please ask the merchant to start it, and if it then doesn't arrive within the timeline, use Report an issue on the payment.
E The seller won't respond, can NovaPay give my money back directly?

@ app_crash | KB-037 | app-crash | - | troubleshooting
Q app keeps crashing
Q novapay closes as soon as i open it
Q app freezes on the payment screen
Q app crashing after latest update
Q the app is hanging a lot on my phone
Q NovaPay not opening on samsung
Q app shuts down when i tap transactions
A Please update NovaPay to the latest version, restart your phone and keep at least 500 MB of free storage. On Android, also clear the cache from Settings > Apps > NovaPay > Storage > Clear cache; this never affects your money or transactions.
A Update the app from the Play Store or App Store, restart your phone and free up at least 500 MB of storage. If it still crashes, uninstall and reinstall (you'll log in again with OTP and MPIN), or report it from Help > Report a problem, which attaches crash logs automatically.
A Try these in order: update to the latest version, restart the phone, clear the cache on Android (Settings > Apps > NovaPay > Storage > Clear cache), then reinstall if needed. Your balance and transactions are never affected.
E NovaPay quits on its own whenever I launch it

@ app_min_os | KB-037 | app-crash | - | policy
Q does novapay work on android 8
Q my iphone is on ios 14, app won't install
Q minimum android version for novapay
Q app not supported on my old phone
A NovaPay needs Android 9 or above, or iOS 15 or above. On older versions the app can't be installed or updated, so please use a phone with a supported version.
A The minimum supported versions are Android 9 and iOS 15. Update your phone's software if possible; otherwise you can log in on another phone with your registered number, an OTP and your MPIN.
E Which phone OS versions does the app support?

@ clear_data_safe | KB-037 | app-crash | - | policy
Q if i uninstall the app will i lose my money
Q is it safe to clear data of novapay
Q will reinstalling delete my transactions
Q clear cache will delete my account?
A Clearing cache or reinstalling never affects your money, balance or transactions. After a reinstall you'll just log in again with your registered mobile number, the OTP and your MPIN.
A Your money and transaction history are safe; they're stored with your account, not on the phone. Clearing cache, clearing data or reinstalling only means you log in again with OTP and MPIN.
E Does deleting the app wipe my balance?

@ report_problem | KB-037,KB-043 | app-crash | - | how-to
Q how to report a bug
Q where do i send crash details
Q i want to share app logs with your team
A Report it from Help > Report a problem, which attaches crash logs automatically. You can also email support@novapay.example with your phone model and app version.
A The easiest way is Help > Report a problem in the app, since it includes the crash logs for us. Otherwise, email support@novapay.example with your phone model, app version and a screenshot.
E How can I send your developers details about a bug?

@ root_detected | KB-038 | app-crash | ROOT_DETECTED | troubleshooting
Q ROOT_DETECTED
Q app says root detected and closes
Q my phone is not rooted but shows ROOT_DETECTED
Q i have custom rom, novapay won't open
Q[0] can you whitelist my device, ROOT_DETECTED
Q jailbroken iphone, app not working
A For security, NovaPay doesn't run on rooted or jailbroken phones, and ROOT_DETECTED can also appear with a custom ROM or an unlocked bootloader. Support can't whitelist a device, so please use a phone with the original manufacturer software or restore yours to factory software.
A ROOT_DETECTED means the phone's software has been modified (root, jailbreak, custom ROM or unlocked bootloader). Your account and money are safe; log in on another phone with your registered number, OTP and MPIN, or restore this one to its factory software.
E NovaPay shuts with ROOT_DETECTED though I never rooted it

@ push_notifications | KB-039 | notifications | - | troubleshooting
Q not getting notifications from novapay
Q no alert when i receive money
Q push notifications stopped on my redmi
Q app notifications not coming on vivo phone
Q i don't get onboarding update notifications
A Turn on notifications for NovaPay in your phone's Settings > Notifications > NovaPay, check the toggles in Profile > Notifications in the app, and turn off battery optimisation for NovaPay, which often blocks alerts on Xiaomi, Oppo, Vivo and Realme phones.
A Please check three things: phone Settings > Notifications > NovaPay is on, the toggles in Profile > Notifications are on, and battery optimisation is off for NovaPay. SMS alerts for every debit and credit still go to your registered number either way.
E Why aren't NovaPay alerts popping up on my phone?

@ sms_alerts | KB-039 | notifications | - | policy
Q can i stop sms alerts
Q too many sms for every transaction, turn off
Q i don't want debit sms
A SMS alerts for every debit and credit are always sent to your registered number and can't be turned off, because they protect your account. You can switch off offers and promotional notifications in Profile > Notifications > Offers.
A Transaction SMS alerts can't be disabled, since they're a safety feature. If it's promotional messages that bother you, turn them off in Profile > Notifications > Offers.
E Is it possible to disable the debit SMS messages?

@ promo_notifications | KB-039 | notifications | - | how-to
Q stop offer notifications
Q too many promotional notifications
Q how to turn off marketing alerts in app
A Switch off offers and promotional notifications in Profile > Notifications > Offers. Payment and security alerts will keep coming.
A Go to Profile > Notifications > Offers and turn it off to stop promotional notifications; transaction alerts and SMS for debits and credits continue.
E I only want payment alerts, not offers. How?

@ block_card | KB-040 | cards | - | how-to
Q lost my debit card, how to block
Q block card immediately, stolen wallet
Q how to permanently block novapay card
Q[0] can i unblock card after blocking
Q card stolen what to do
A Go to Cards > select card > Block card to block it permanently and instantly. A blocked card can't be unblocked; a new virtual card is issued free right away, and a replacement physical card costs ₹199 and arrives within 7 working days.
A Block it now from Cards > select card > Block card. Blocking is permanent, so if you might find the card, use Freeze card instead; UPI payments from your account keep working either way.
E My card fell out somewhere, how do I stop it being used?

@ freeze_card | KB-040 | cards | - | how-to
Q how to temporarily freeze card
Q[0] can't find my card, might be at home, should i block?
Q unfreeze card
Q freeze card option where
A Use Cards > select card > Freeze card to stop all card payments immediately; you can unfreeze anytime from the same screen. If you're sure the card is lost or stolen, use Block card instead, which is permanent.
A Freezing is temporary: Cards > select card > Freeze card stops card payments, and the same screen lets you unfreeze it. Freezing doesn't affect UPI payments from your account.
E Can I pause my debit card for a while without cancelling it?

@ replacement_card | KB-040 | cards | - | policy
Q how to order new card after blocking
Q physical card charges
Q how long for replacement card delivery
Q do i get new virtual card after block
A After blocking, a new virtual card is issued free of charge right away. A replacement physical card costs ₹199 and is delivered within 7 working days; order it from Cards > Request physical card.
A Your new virtual card is ready free immediately after blocking. For a physical card, go to Cards > Request physical card; it costs ₹199 and arrives within 7 working days.
E What does a replacement physical debit card cost?

@ intl_usage | KB-041 | cards | CARD_DECLINED | troubleshooting
Q card declined on international website
Q CARD_DECLINED
Q card not working abroad
Q tap to pay not working on my card
Q card declined at shop but i have balance
A International and contactless usage are off by default; turn them on in Cards > Manage usage. A card payment is also declined with CARD_DECLINED if the daily limit is reached, the card is frozen, or the PIN is entered wrongly.
A CARD_DECLINED usually means the usage type is switched off, the card is frozen, the limit is reached or the PIN was wrong. Check Cards > Manage usage, where international and contactless can be turned on, and make sure the card isn't frozen.
E My card gets declined on a foreign shopping site

@ card_limits | KB-041 | cards | - | policy
Q what is atm withdrawal limit
Q daily card limit for online shopping
Q can i reduce card limits
Q how to change card pin
A The default daily limits are ₹25,000 for ATM withdrawals and ₹1,00,000 for online and in-store payments. You can set lower limits in Cards > Manage usage, and change your 4-digit card PIN in Cards > select card > Change PIN.
A Your debit card allows ATM withdrawals of ₹25,000 per day and online and in-store payments of ₹1,00,000 per day; lower limits can be set in Cards > Manage usage. The 4-digit card PIN can be changed in Cards > select card > Change PIN.
E How much cash can I take out from an ATM daily?

@ fraud_report | KB-042 | cards | - | troubleshooting
Q unknown transaction on my account
Q someone used my card without permission
Q i see a debit i didn't make
Q fraud transaction how to report
Q money taken from my account, not me
A Freeze your card now from Cards > select card > Freeze card, then report it from Help > Report fraud, selecting the transaction. Reporting within 3 working days gives full protection (zero liability); we resolve it within 10 working days, and please change your MPIN and UPI PIN too.
A Please report it from Help > Report fraud right away and freeze your card. Reports made within 3 working days of the transaction get full protection (zero liability), and we resolve them within 10 working days.
E There's a payment on my statement I never made

@ never_share | KB-043 | account | - | policy
Q someone called from novapay asking otp, is it real
Q got a call saying my kyc will expire, they want my upi pin
Q does novapay ask for card details on phone
Q whatsapp message from novapay support asking mpin
A NovaPay will never ask for your OTP, MPIN, UPI PIN or full card number by phone, chat, email or social media, so that's a fraud attempt. Don't share anything, and if you already did, freeze your card and report it from Help > Report fraud immediately.
A That isn't us: NovaPay never asks for your OTP, MPIN, UPI PIN or full card number. Please don't reply, and if you've shared any of these, change your MPIN and UPI PIN and report it from Help > Report fraud.
E A caller claiming to be NovaPay wants my OTP, should I give it?

@ contact_support | KB-043 | account | - | how-to
Q how to contact customer care
Q novapay support email
Q can i talk to a human agent
Q[0] is chat support available at night
Q what's your customer care timing
A Use Help > Chat with us in the app: the chat assistant is available 24x7 and human agents from 8:00 AM to 10:00 PM IST, every day. You can also email support@novapay.example, and we reply within 24 hours.
A You can reach us at support@novapay.example (reply within 24 hours) or through Help > Chat with us, where human agents are available from 8:00 AM to 10:00 PM IST every day. Including the error code and a screenshot helps us resolve it faster.
E What's the way to talk to a real person at NovaPay?

@ statements | KB-044 | account | - | how-to
Q how to download bank statement
Q statement pdf password
Q statement for last 1 year
Q[1] statement email not received
Q[0] wallet statement where
A Download your statement from Accounts > Statements for a period of up to 12 months; the PDF is emailed to your registered email within 15 minutes. Its password is your date of birth in DDMMYYYY format, and wallet statements are under Wallet > Statement.
A Go to Accounts > Statements and choose up to 12 months. The password-protected PDF arrives by email within 15 minutes (password: your date of birth in DDMMYYYY format); if it doesn't, check spam and your email in Profile > Personal details > Email.
E What is the password for the statement PDF you email me?

@ update_email | KB-045 | account | - | how-to
Q how to change email id
Q update email in novapay
Q[1] email verification link expired
A Go to Profile > Personal details > Email, enter the new address and click the verification link we send; it's valid for 24 hours.
A Change it in Profile > Personal details > Email. The verification link is valid for 24 hours, so if it expired, just enter the email again to get a new link.
E How do I replace the email address on my profile?

@ close_account | KB-045 | account | - | how-to
Q how to close my novapay account
Q delete my account
Q i want to close savings account, how long
A First move your savings and wallet balance to another bank account, then go to Profile > Settings > Close account and confirm with an OTP. Closure is completed within 7 working days with a confirmation email, and your debit card is blocked when you request it.
A To close your account, empty your savings and wallet balance, then use Profile > Settings > Close account and confirm with an OTP. It's completed within 7 working days.
E Steps to shut down my NovaPay account permanently?
"""

# --------------------------------------------------------------------------
# Hindi (Devanagari) and Hinglish pairs.  Codes and menu paths stay in English.
# --------------------------------------------------------------------------
INTENTS_HINDI = r"""
@ hi_vkyc_hours | KB-001,KB-002 | video-kyc | WINDOW_CLOSED | policy
P hi | वीडियो केवाईसी का समय क्या है? => वीडियो-KYC सुबह 9:00 बजे से रात 9:00 बजे IST तक, सोमवार से शनिवार उपलब्ध है। इसी समय में Onboarding > Video-KYC से कॉल शुरू करें।
P hi | रात को 10 बजे वीडियो कॉल करने पर WINDOW_CLOSED आ रहा है => WINDOW_CLOSED का मतलब है कि आपने सर्विस समय के बाहर कॉल शुरू की। वीडियो-KYC सुबह 9:00 बजे से रात 9:00 बजे IST तक, सोमवार से शनिवार चलता है; आपके पूरे किए गए स्टेप 30 दिन तक सेव रहते हैं।
P hinglish | bhai video kyc ka timing kya hai? => Video-KYC subah 9:00 AM se raat 9:00 PM IST tak, Monday se Saturday available hai. Sunday aur national holidays par band rehta hai.
P hinglish | WINDOW_CLOSED aa raha hai video kyc mein, kya application cancel ho gayi? => Nahi, application cancel nahi hui. WINDOW_CLOSED ka matlab hai aapne service hours ke bahar try kiya; Video-KYC subah 9:00 AM se raat 9:00 PM IST, Monday se Saturday chalta hai, aur aapke completed steps 30 din tak saved rehte hain.
P hinglish | sunday ko video kyc ho sakta hai kya => Sorry, Sunday aur national holidays par Video-KYC band rehta hai. Aap Saturday ko kar sakte hain ya Onboarding > Video-KYC > Schedule a call se pehle se slot book kar sakte hain.
EP hi@KB-001 | क्या रविवार को भी केवाईसी वीडियो कॉल होती है? => रविवार और राष्ट्रीय छुट्टियों पर वीडियो-KYC बंद रहता है। यह सुबह 9:00 बजे से रात 9:00 बजे IST तक, सोमवार से शनिवार उपलब्ध है।
EP hinglish | raat 9:30 baje video call try kiya toh WINDOW_CLOSED dikha, ab kya karu? => WINDOW_CLOSED ka matlab hai aapne service hours ke bahar try kiya. Video-KYC subah 9:00 AM se raat 9:00 PM IST, Monday se Saturday chalta hai; kal in hours mein Onboarding > Video-KYC se dobara call shuru karein.

@ hi_vkyc_queue | KB-003,KB-004 | video-kyc | AGENT_BUSY | troubleshooting
P hi | AGENT_BUSY दिखा रहा है, क्या करूँ? => AGENT_BUSY का मतलब है कि अभी कतार भरी हुई है। 15 मिनट बाद फिर से कोशिश करें, या Onboarding > Video-KYC > Schedule a call से स्लॉट बुक करें।
P hinglish | queue mein 20 min se wait kar raha hu, agent nahi mil raha => Sorry for the wait. Queue screen par app khuli rakhein, kyunki 60 seconds se zyada app chhodne par aap queue se hat jaate hain; chahein toh Onboarding > Video-KYC > Schedule a call se slot book kar lein.
P hinglish | video kyc ke liye time slot kaise book karu => Onboarding > Video-KYC > Schedule a call par jaakar 15-minute ka slot chunein, jo 3 din aage tak mil jaata hai. Booked time par agent 5 minute ke andar call utha leta hai.
P hi | वीडियो केवाईसी के लिए कब कम भीड़ होती है? => सबसे कम भीड़ सुबह 9:00 से 11:00 बजे IST के बीच होती है, और सबसे ज़्यादा शाम 6:00 से रात 9:00 बजे IST तक। आम तौर पर इंतज़ार 10 मिनट से कम होता है।

@ hi_vkyc_call | KB-005,KB-006,KB-007 | video-kyc | VKYC_DISCONNECTED | troubleshooting
P hi | वीडियो कॉल बीच में कट गई, VKYC_DISCONNECTED आया => 10 मिनट के अंदर Onboarding > Video-KYC > Rejoin call से उसी सेशन में वापस जुड़ें। 10 मिनट के बाद नई कॉल शुरू करनी होगी, लेकिन आपका PAN, आधार और सेल्फी सेव रहते हैं।
P hinglish | video kyc call ke time kya kya ready rakhna hai? => Original physical PAN card, ek blank white paper aur blue ya black pen ready rakhein; agent aapko PAN dikhane aur paper par sign karne ko kahega. Call lagbhag 5 minute ki hoti hai.
P hi | वीडियो केवाईसी के लिए कितनी इंटरनेट स्पीड चाहिए? => 4G, 5G या Wi-Fi पर कम से कम 1 Mbps अपलोड स्पीड वाला स्थिर कनेक्शन इस्तेमाल करें। कॉल के दौरान नेटवर्क न बदलें और NovaPay ऐप को स्क्रीन पर रखें।
P hinglish | net chala gaya tha kyc call mein, sab dobara karna padega? => Nahi. 10 minute ke andar Onboarding > Video-KYC > Rejoin call se same session mein wapas judiye; uske baad nayi call karni hogi, par PAN, Aadhaar aur selfie saved rehte hain.
P hi | क्या मैं वीडियो केवाईसी में ई-पैन दिखा सकता हूँ? => वीडियो-KYC कॉल में आपको अपना ओरिजिनल फिज़िकल PAN कार्ड दिखाना होगा; फोटोकॉपी, फोटो या दूसरी स्क्रीन पर ई-पैन मान्य नहीं है।
EP hi@KB-007 | केवाईसी वीडियो कॉल में एजेंट मुझसे क्या दिखाने को कहेगा? => एजेंट आपसे ओरिजिनल फिज़िकल PAN कार्ड कैमरे के सामने दिखाने और एक खाली सफ़ेद कागज़ पर नीले या काले पेन से साइन करके दिखाने को कहेगा। कॉल लगभग 5 मिनट की होती है।

@ hi_vkyc_result | KB-008,KB-021 | video-kyc | VKYC_REJECTED | policy
P hinglish | video kyc reject ho gaya, VKYC_REJECTED. ab? => Reject hone ka reason Home > Onboarding status mein dikhega. Use theek karke Onboarding > Video-KYC se nayi call karein; aap 3 baar tak retry kar sakte hain.
P hi | वीडियो केवाईसी के बाद अकाउंट कब खुलेगा? => वीडियो-KYC का नतीजा 24 घंटे के अंदर नोटिफिकेशन और SMS से आता है। मंज़ूरी मिलने पर आपका अकाउंट नंबर SMS और ईमेल से भेजा जाता है।
P hinglish | kyc call ho gayi kal, status kahan check karu => Home > Onboarding status mein har step Done, Pending ya Action needed dikhta hai. Video-KYC ka result 24 ghante ke andar aata hai.

@ hi_pan | KB-009,KB-010,KB-011 | pan-upload | OCR_FAIL,PAN_GLARE | troubleshooting
P hi | पैन अपलोड करने पर OCR_FAIL आ रहा है => OCR_FAIL का मतलब है कि ऐप आपकी PAN फोटो पढ़ नहीं पाया। कार्ड को दिन की रोशनी में गहरे, सादे सरफेस पर रखें, चारों कोने दिखें और फोन स्थिर रखकर फोटो लें।
P hinglish | pan upload karte hi OCR_FAIL aata hai baar baar => OCR_FAIL tab aata hai jab photo blurry, cropped ya dark ho. Card ko daylight mein dark plain surface par rakhein, chaaron corners frame mein hon; 3 failed attempts ke baad app Send for manual review ka option deta hai.
P hi | PAN_GLARE एरर क्या है? => PAN_GLARE का मतलब है कि कार्ड पर चमक (रिफ्लेक्शन) है। फ्लैश बंद करें, प्लास्टिक कवर हटाएँ और फोन को थोड़ा तिरछा करें जब तक चमक न हट जाए।
P hinglish | pan card laminated hai, glare error aa raha hai => Flash band karein, card ko plastic cover se nikaalein aur window ke paas side se aati light mein photo lein. Chahein toh e-PAN PDF upload karein, usme PAN_GLARE nahi aata.
P hi | पैन की फाइल कितने MB तक हो सकती है? => PAN की फाइल JPG, PNG या PDF में 5 MB तक हो सकती है। इसे Onboarding > Documents > PAN से अपलोड करें।
P hinglish | manual review mein pan kitne din lagte hai? => Manual review 2 working days mein complete hota hai aur result notification se milta hai. Tab tak aap baaki onboarding steps continue kar sakte hain.
EP hinglish | pan ki photo par chamak aa rahi hai, PAN_GLARE bol raha hai => Flash band karein, card ko plastic cover se nikaalein aur indirect daylight mein phone thoda tilt karke photo lein jab tak chamak na hate. E-PAN PDF upload karne par PAN_GLARE nahi aata.

@ hi_pan_name | KB-012,KB-013 | pan-upload | NAME_MISMATCH,PAN_INVALID | troubleshooting
P hi | पैन और आधार में नाम अलग है, NAME_MISMATCH आ रहा है => छोटे अंतर जैसे इनिशियल्स या नाम का क्रम अपने आप स्वीकार हो जाते हैं। स्पेलिंग या सरनेम अलग हो तो Protean (NSDL) पोर्टल से PAN या UIDAI से आधार अपडेट करवाएँ, फिर दोबारा कोशिश करें।
P hinglish | shaadi ke baad surname change hua, pan mein purana naam hai => Aise case mein NAME_MISMATCH aayega, aur app mein naam edit nahi ho sakta. Protean (NSDL) portal se PAN ya UIDAI se Aadhaar update karwa lein taaki dono naam match karein, phir Onboarding > Documents > PAN se retry karein.
P hinglish | PAN_INVALID aa raha hai, pan toh sahi hai => Income Tax e-filing portal par PAN-Aadhaar link status check karein. Agar link nahi hai toh wahan link karein aur active dikhne ke baad NovaPay mein retry karein.

@ hi_otp | KB-014,KB-015,KB-016 | otp | OTP_TIMEOUT,OTP_LOCKED | troubleshooting
P hi | ओटीपी कितनी देर तक वैलिड रहता है? => हर OTP 6 अंकों का होता है और 120 सेकंड तक वैलिड रहता है। उसके बाद OTP_TIMEOUT आता है; Resend OTP दबाकर नया OTP लें।
P hi | ओटीपी नहीं आ रहा है => देखें कि रजिस्टर्ड नंबर वाली सिम इसी फोन में है और सिग्नल है, एक बार एयरप्लेन मोड ऑन-ऑफ करें। DND से OTP नहीं रुकता; 30 सेकंड बाद Resend OTP दबाएँ।
P hinglish | otp nahi aa raha, DND on hai mera => DND se OTP block nahi hota. Check karein ki registered number wali SIM isi phone mein hai aur signal hai, airplane mode ek baar on-off karein, phir 30 seconds baad Resend OTP dabayein.
P hinglish | OTP_LOCKED aa gaya, kab tak wait karna hoga => OTP_LOCKED 30 minute ke liye lagta hai aur apne aap hat jaata hai. Support isse pehle nahi hata sakta, aur app reinstall karne se bhi reset nahi hota.
P hi | कितनी बार ओटीपी दोबारा भेज सकते हैं? => आप 30 मिनट में 3 बार तक OTP दोबारा भेज सकते हैं, और Resend OTP हर OTP के 30 सेकंड बाद चालू होता है। सीमा पार होने पर 30 मिनट के लिए OTP_LOCKED लग जाता है।
P hinglish | otp dalne se pehle hi OTP_TIMEOUT ho gaya => Har OTP sirf 120 seconds ke liye valid hota hai. Resend OTP dabakar naya OTP lein aur sirf latest wala daalein; purana OTP kaam nahi karega.
P hi | गलत ओटीपी डाला तो OTP_INVALID आया => OTP_INVALID का मतलब है कोड मेल नहीं खाया; सिर्फ आखिरी SMS वाला OTP चलता है। 5 बार गलत OTP डालने पर 30 मिनट के लिए OTP_LOCKED लग जाता है।
EP hi | ओटीपी बार बार मंगाने से लॉक हो गया, कितनी देर में खुलेगा? => OTP_LOCKED 30 मिनट के लिए लगता है और अपने आप हट जाता है। सपोर्ट इसे पहले नहीं हटा सकता; लॉक खत्म होने पर एक नया OTP मंगाएँ और उसके आने का इंतज़ार करें।

@ hi_docs | KB-017,KB-018,KB-019,KB-020 | documents | - | how-to
P hi | अकाउंट खोलने के लिए कौन से डॉक्यूमेंट चाहिए? => आपको PAN (ओरिजिनल कार्ड या ई-पैन PDF), OTP से वेरिफाई होने वाला आधार और ऐप में ली गई लाइव सेल्फी चाहिए। पता आधार से अलग हो तभी एड्रेस प्रूफ चाहिए।
P hinglish | account kholne ke liye kaun se documents lagenge? => PAN, Aadhaar (OTP se verify hota hai, isliye mobile Aadhaar se linked hona chahiye) aur app mein live selfie. Address proof tabhi chahiye jab current address Aadhaar se alag ho.
P hi | आधार ओटीपी नहीं आ रहा, AADHAAR_OTP_FAIL => आधार OTP UIDAI आपके आधार से लिंक मोबाइल पर भेजता है। अगर नंबर लिंक नहीं है या आपके पास नहीं है, तो आधार सेवा केंद्र पर मोबाइल नंबर अपडेट करवाएँ और फिर Onboarding > Documents > Aadhaar से दोबारा कोशिश करें।
P hinglish | selfie mein FACE_MATCH_FAIL aa raha hai => Achhi roshni mein, face oval ke andar rakhkar selfie dobara lein, cap, mask ya sunglasses hata kar. 3 FACE_MATCH_FAIL attempts ke baad aap aage badh sakte hain aur agent Video-KYC call mein face verify karega.
P hi | बिजली का बिल एड्रेस प्रूफ में चलेगा? => हाँ, बिजली का बिल चलेगा अगर वह 2 महीने से ज़्यादा पुराना न हो। पुराना बिल DOC_EXPIRED के साथ रिजेक्ट होता है।
P hinglish | rent agreement address proof ke liye chalega? => Haan, registered rent agreement address proof ke roop mein accept hota hai. Ise Onboarding > Documents > Address proof par JPG, PNG ya PDF mein 5 MB tak upload karein.
EP hinglish@KB-018 | aadhaar ka otp purane number par jaa raha hai, kya karu? => Aadhaar OTP UIDAI sirf Aadhaar-linked mobile par bhejta hai. Aadhaar Seva Kendra par apna mobile number update karwaiye, phir Onboarding > Documents > Aadhaar se retry kijiye.

@ hi_login | KB-023,KB-024,KB-025 | login | LOGIN_LOCKED | troubleshooting
P hi | एमपिन भूल गया हूँ => लॉगिन स्क्रीन पर Forgot MPIN दबाएँ, रजिस्टर्ड मोबाइल पर आया OTP डालें, अपना PAN डालें और नया 4 अंकों का MPIN सेट करें।
P hinglish | LOGIN_LOCKED aa gaya, 5 baar galat mpin dala => 5 galat MPIN attempts ke baad login 24 ghante ke liye lock ho jaata hai. Turant unlock karne ke liye login screen par Forgot MPIN dabayein, OTP aur PAN se verify karke naya 4-digit MPIN set karein.
P hi | एमपिन कैसे बदलें? => Profile > Security > Reset MPIN में जाएँ, मौजूदा MPIN डालें, OTP वेरिफाई करें और नया MPIN सेट करें। नया MPIN पिछले 3 MPIN जैसा नहीं हो सकता।
P hinglish | naye phone mein login kaise karu => Naye phone par registered mobile number daalein, OTP verify karein aur phir apna 4-digit MPIN daalein. NovaPay ek time par sirf ek device par active rehta hai.
P hinglish | naye phone par sirf 5000 tak payment ho raha hai => Naye device par login ke 24 ghante tak UPI payments total ₹5,000 tak limited rehte hain, ye fraud se bachane ke liye hai. 24 ghante baad limit apne aap normal ho jaati hai.
EP hi@KB-024 | लॉगिन लॉक हो गया है, पैसे भेजने हैं, जल्दी कैसे खुलेगा? => लॉगिन स्क्रीन पर Forgot MPIN दबाएँ, OTP वेरिफाई करें, अपना PAN डालें और नया 4 अंकों का MPIN सेट करें; लॉक तुरंत हट जाएगा। आपके पैसे और ट्रांज़ैक्शन पर कोई असर नहीं पड़ता।

@ hi_payments | KB-029,KB-030,KB-031,KB-032 | payments | UPI_U30,PAYMENT_PENDING | troubleshooting
P hi | पैसे कट गए लेकिन पेमेंट फेल दिखा रहा है => चिंता न करें, फेल पेमेंट की राशि 3 वर्किंग डेज़ के अंदर अपने आप उसी खाते में वापस आ जाती है। अगर न आए तो Transactions > select the payment > Report an issue से 12 अंकों के UTR के साथ शिकायत करें।
P hinglish | paisa cut gaya par payment failed dikha raha hai => Tension mat lijiye, debited-but-failed payment ka paisa 3 working days mein automatically usi account mein wapas aa jaata hai. Tab tak merchant ko dobara pay na karein jab tak wo confirm na karein ki paisa nahi mila.
P hinglish | UPI_U30 error kya hai? => UPI_U30 ka matlab hai aapke bank ki taraf debit fail hua, aur usually paisa nahi katta. 15 minute baad retry karein ya doosra linked account use karein; agar paisa kat gaya ho toh 3 working days mein auto-reverse ho jaata hai.
P hi | पेमेंट PAYMENT_PENDING में अटका है => PAYMENT_PENDING का मतलब है बैंक ने अभी कन्फ़र्म नहीं किया। ज़्यादातर पेमेंट 2 घंटे में फाइनल हो जाते हैं, कभी-कभी 48 घंटे तक; तब तक दोबारा पेमेंट न करें।
P hinglish | ek din mein kitna upi bhej sakte hai? => UPI se ek din mein ₹1,00,000 tak aur 20 payments tak bhej sakte hain. Daily counters raat 12 baje (midnight IST) reset hote hain.
P hi | LIMIT_EXCEEDED आ रहा है => पेमेंट UPI सीमा (₹1,00,000 प्रति दिन या 20 पेमेंट प्रति दिन) पार कर रहा था, इसलिए रोका गया और कोई पैसा नहीं कटा। सीमा रात 12 बजे (midnight IST) रीसेट होती है।
P hinglish | upi pin galat daal diya 3 baar, ab payment nahi ho raha => 3 galat UPI PIN attempts ke baad UPI payments 24 ghante ke liye block ho jaate hain, aur ye block apne aap hatta hai. PIN bhool gaye hon toh Profile > Payments > Reset UPI PIN se reset karein.
P hi | यूपीआई पिन कैसे रीसेट करें? => Profile > Payments > Reset UPI PIN में जाएँ, NovaPay डेबिट कार्ड के आखिरी 6 अंक और एक्सपायरी डालें, OTP वेरिफाई करें और नया 6 अंकों का UPI PIN सेट करें।
EP hinglish@KB-032 | payment pending dikha raha hai 1 ghante se, dobara bhej du? => Dobara mat bhejiye, warna do baar pay ho sakta hai. Zyada tar pending payments 2 ghante mein final ho jaate hain, kabhi kabhi 48 ghante tak; fail hone par paisa 3 working days mein wapas aa jaata hai.
EP hi | यूपीआई पेमेंट UPI_U30 के साथ फेल हुआ, इसका क्या मतलब है? => UPI_U30 का मतलब है कि आपके बैंक की तरफ डेबिट फेल हुआ, और आम तौर पर पैसा नहीं कटता। 15 मिनट बाद दोबारा कोशिश करें या दूसरा लिंक्ड अकाउंट चुनें; पैसा कटा हो तो 3 वर्किंग डेज़ में अपने आप वापस आ जाता है।

@ hi_refunds | KB-033,KB-034 | refunds | - | policy
P hi | रिफंड कितने दिन में आता है? => मर्चेंट के रिफंड शुरू करने के बाद: UPI से पेमेंट पर 3 से 5 वर्किंग डेज़, वॉलेट से पेमेंट पर 24 घंटे के अंदर, और डेबिट कार्ड से पेमेंट पर 5 से 7 वर्किंग डेज़ लगते हैं।
P hinglish | refund abhi tak nahi aaya, 8 din ho gaye => Transactions > select the payment > Report an issue par jaakar Refund not received chunein aur merchant ka refund reference number daalein. Hum bank se follow up karke 7 working days mein update denge.
P hinglish | refund status kaise check kare => Transactions mein payment select karke Refund status kholiye; wahan merchant ne refund kab initiate kiya aur refund reference number dikhega.
P hi | वॉलेट से पेमेंट किया था, रिफंड कहाँ आएगा? => वॉलेट से किए गए पेमेंट का रिफंड 24 घंटे के अंदर आपके NovaPay वॉलेट में आता है, मर्चेंट के रिफंड शुरू करने के बाद।
EP hinglish@KB-033 | order cancel kiya, upi se pay kiya tha, refund kab tak? => Merchant ke refund initiate karne ke baad UPI payment ka refund 3 se 5 working days mein aapke bank account mein aata hai. Credit hone par SMS aayega.

@ hi_app | KB-037,KB-038,KB-039 | app-crash | - | troubleshooting
P hinglish | app baar baar crash ho raha hai => App ko Play Store ya App Store se latest version par update karein, phone restart karein aur kam se kam 500 MB storage free rakhein. Android par Settings > Apps > NovaPay > Storage > Clear cache bhi kar sakte hain; isse paise par koi asar nahi padta.
P hi | ऐप खुलते ही बंद हो जाता है => ऐप को लेटेस्ट वर्ज़न पर अपडेट करें, फोन रीस्टार्ट करें और कम से कम 500 MB जगह खाली रखें। फिर भी दिक्कत हो तो Help > Report a problem से रिपोर्ट करें।
P hinglish | ROOT_DETECTED aa raha hai => Security ke liye NovaPay rooted ya jailbroken phone par nahi chalta; custom ROM ya unlocked bootloader par bhi ROOT_DETECTED aa sakta hai. Original manufacturer software wala phone use karein.
P hi | नोटिफिकेशन नहीं आ रहे => फोन की Settings > Notifications > NovaPay में नोटिफिकेशन चालू करें, ऐप में Profile > Notifications देखें और NovaPay के लिए बैटरी ऑप्टिमाइज़ेशन बंद करें।
EP hinglish@KB-037 | app reinstall karne se mera balance toh nahi jayega? => Nahi, cache clear karne ya reinstall karne se aapke paise, balance ya transactions par koi asar nahi padta. Reinstall ke baad bas OTP aur MPIN se dobara login karna hoga.

@ hi_cards | KB-040,KB-041,KB-042,KB-043 | cards | - | how-to
P hi | डेबिट कार्ड खो गया, ब्लॉक कैसे करूँ? => Cards > select card > Block card से कार्ड तुरंत और हमेशा के लिए ब्लॉक करें। नया वर्चुअल कार्ड तुरंत मुफ्त मिलता है, और फिज़िकल कार्ड ₹199 में 7 वर्किंग डेज़ में आता है।
P hinglish | card ko temporary band kaise kare => Cards > select card > Freeze card se card payments turant ruk jaate hain, aur usi screen se kabhi bhi unfreeze kar sakte hain.
P hinglish | international payment mein card decline ho raha hai => International aur contactless usage default mein off hote hain. Cards > Manage usage mein inhe on karein; limit poori hone ya card frozen hone par bhi CARD_DECLINED aata hai.
P hi | मेरे खाते से अनजान ट्रांज़ैक्शन हुआ है => तुरंत Cards > select card > Freeze card से कार्ड फ्रीज़ करें और Help > Report fraud से ट्रांज़ैक्शन रिपोर्ट करें। 3 वर्किंग डेज़ के अंदर रिपोर्ट करने पर पूरी सुरक्षा (zero liability) मिलती है।
P hinglish | kisi ne call karke otp manga, bola novapay se hai => Ye fraud hai: NovaPay kabhi bhi OTP, MPIN, UPI PIN ya full card number nahi maangta. Kuch share mat kijiye, aur agar kar diya ho toh card freeze karke Help > Report fraud se report kijiye.
P hi | कस्टमर केयर से कैसे बात करें? => ऐप में Help > Chat with us इस्तेमाल करें; ह्यूमन एजेंट रोज़ सुबह 8:00 बजे से रात 10:00 बजे IST तक उपलब्ध हैं। आप support@novapay.example पर ईमेल भी कर सकते हैं, जवाब 24 घंटे में मिलता है।
"""

# --------------------------------------------------------------------------
# Edge cases
# --------------------------------------------------------------------------
INTENTS_EDGE = r"""
@ edge_nq_onboarding | KB-010,KB-011,KB-002 | pan-upload | - | edge-case:no-question
P en | OCR_FAIL => Sorry you've hit OCR_FAIL, which means the app couldn't read your PAN image. Are you uploading a photo of the card or the e-PAN PDF, and is this your first attempt? Tell me and I'll walk you through the fix.
P en | PAN_GLARE => Thanks for sending the code. PAN_GLARE means a reflection is covering part of your card in the photo. Are you using the flash, or is the card laminated or in a plastic cover?
P en | [screenshot: red banner on the PAN upload screen] => I can't see the full screenshot text on my side. Could you tell me the error code shown in the red banner (for example OCR_FAIL or PAN_GLARE) so I can give you the exact fix?
P en#account | hi => Hi, thanks for reaching NovaPay support! What can I help you with today: onboarding and KYC, login, payments, refunds, cards or something else?
P en#account | ?? => Happy to help! Could you tell me what you were trying to do in the app and, if you saw one, the error code on the screen?
P en#video-kyc | WINDOW_CLOSED??? => WINDOW_CLOSED appears when video-KYC is started outside service hours. Could you tell me the day and time you tried, so I can check whether it was outside 9:00 AM to 9:00 PM IST, Monday to Saturday?
P en#account | image attached (blurry photo of phone screen showing an error) => Thanks for the photo, but the text isn't readable on my side. Could you type the error code you see, and tell me which step you were on (OTP, PAN, Aadhaar, selfie or video-KYC)?
EP en#pan-upload | NAME_MISMATCH => NAME_MISMATCH means the name on your PAN doesn't match the name from your Aadhaar. Could you tell me how the two names differ (initials, spelling or surname), so I can tell you whether it needs a document correction?
EP en@KB-046,KB-043#account | [screenshot attached] => I'm unable to read the screenshot on my side. Could you tell me the error code or message shown, and which step of the app you were on?

@ edge_nq_support | KB-030,KB-032,KB-024 | payments | - | edge-case:no-question
P en | UPI_U30 => Thanks for the code. Did a payment fail with UPI_U30, and was money deducted from your account? Let me know and I'll tell you exactly what happens next.
P en | pending => Could you share a bit more? If a payment shows PAYMENT_PENDING, tell me roughly when you made it and whether money was deducted, and I'll explain the next step.
P en#login | LOGIN_LOCKED. => LOGIN_LOCKED appears after 5 wrong MPIN attempts. Do you remember your MPIN, or would you like the steps to reset it with Forgot MPIN?
P en | screenshot of transactions page with one entry circled => Thanks for sharing. I can't read transaction details from the image. Could you tell me what's wrong with the circled payment: failed, pending, debited twice or a refund not received?
P en#account | help => Sure, I'm here to help. Could you describe the issue you're facing and share any error code shown in the app?
P en#account | ... => Looks like your message came through empty. What would you like help with today?
P en#account | 📷 => I received an image but no message. Could you tell me what problem you're seeing and the error code, if any?
EP en | PAYMENT_PENDING showing, screenshot attached => PAYMENT_PENDING means the bank hasn't confirmed that payment yet. When did you make it, and was the amount deducted from your account? That tells me whether you should wait or report it.

@ edge_oos | KB-046 | account | - | edge-case:out-of-scope
P en | which stock should i buy this week for quick profit? => Sorry, I can't give stock or investment advice. I can help with anything about your NovaPay account: onboarding and KYC, UPI payments, the wallet, refunds, cards and login.
P en | will it rain in mumbai tomorrow => I'm NovaPay's support assistant, so I can't help with weather forecasts. If you have a question about payments, KYC, refunds, cards or your account, I'm happy to help.
P en | write me a python script to scrape flipkart prices => Sorry, writing code isn't something NovaPay support can help with. I can help with your NovaPay account, UPI payments, refunds, cards, KYC and app issues.
P en | my HDFC netbanking password isnt working, reset it pls => I'm sorry, I can't help with another bank's netbanking. Please contact HDFC Bank directly. For anything on your NovaPay account, such as login, MPIN, UPI or cards, I'm glad to help.
P en | how much income tax will i pay on 12 lakh salary => Sorry, I can't give tax advice; please consult a qualified tax adviser. I can help with NovaPay questions like payments, refunds, statements, cards and KYC.
P en | is bitcoin a good investment right now => I can't give investment advice, including on crypto. NovaPay support can help with your account, UPI payments, wallet, refunds, cards and onboarding.
P en | what's the live cricket score => Sorry, that's outside what NovaPay support covers. I can help with your NovaPay account, payments, refunds, cards, KYC or app problems.
P en | can you recommend a good personal loan from some bank => Sorry, I can't recommend loans or other banks' products. I can help with your NovaPay savings account, UPI, wallet, refunds, cards and KYC.
P en | tell me a joke lol => I'll leave the jokes to others! I'm here for NovaPay support, so ask me anything about KYC, payments, refunds, cards or your account.
P hinglish | bhai kal ke liye koi accha share batao => Sorry, main stock ya investment advice nahi de sakta. NovaPay account, UPI payments, wallet, refunds, cards aur KYC mein main aapki madad kar sakta hoon.
P en | help me write a leave application to my manager => Sorry, I can't help with writing letters. I can help with your NovaPay account, UPI payments, refunds, cards, KYC and app issues.
EP en | Which mutual fund gives the best returns this year? => I'm not able to recommend funds or predict returns; that is outside what NovaPay support covers. For anything about your NovaPay account, such as KYC, UPI, refunds or cards, just ask.
EP en | can you fix the bug in my javascript code? => Debugging JavaScript is outside what I can assist with here, since this chat only covers NovaPay. Questions about your account, a payment or the app itself are very welcome.
EP hi | कल दिल्ली में मौसम कैसा रहेगा? => माफ़ कीजिए, मैं मौसम की जानकारी नहीं दे सकता। मैं NovaPay अकाउंट, UPI पेमेंट, रिफंड, कार्ड और KYC से जुड़े सवालों में मदद कर सकता हूँ।

@ edge_missing_onboarding | KB-010,KB-011,KB-012,KB-002,KB-006 | video-kyc | - | edge-case:missing-error-code
P en | video kyc not working => Sorry about that. Could you tell me the error code on screen? The usual ones are WINDOW_CLOSED (outside 9:00 AM to 9:00 PM IST, Monday to Saturday), AGENT_BUSY (queue full) and VKYC_DISCONNECTED (call dropped).
P en#pan-upload | pan upload failing, no idea why => Could you share the error code shown after the upload? OCR_FAIL means the image couldn't be read, PAN_GLARE means there's a reflection, and NAME_MISMATCH means your PAN and Aadhaar names differ; each has a different fix.
P en#documents | my kyc is stuck, cant proceed => Sorry for the trouble. Which step are you on (OTP, PAN, Aadhaar, selfie or video-KYC), and what error code does the app show? You can also see which step needs action in Home > Onboarding status.
P en#documents | selfie step keeps failing => Could you tell me the error code you see? If it's FACE_MATCH_FAIL, the selfie didn't match your PAN photo; retake it in good light without cap, mask or sunglasses, and after 3 attempts you can continue to video-KYC.
P en#otp | otp problem => Could you tell me what happens exactly: is the OTP not arriving, or does the app show an error like OTP_TIMEOUT, OTP_INVALID or OTP_LOCKED? Each one has a different fix.
P en#documents | document upload error => Which document were you uploading (PAN, selfie or address proof), and what error code appeared? For example, DOC_EXPIRED on address proof means the bill is older than 2 months.
P en | the verification call failed => Sorry to hear that. Did the call drop (VKYC_DISCONNECTED) or was it rejected after review (VKYC_REJECTED)? Please share the code shown, or check the reason in Home > Onboarding status.
EP en@KB-002,KB-003,KB-006 | the app won't let me do my video verification => Sorry about that. Which error code do you see? WINDOW_CLOSED means it's outside 9:00 AM to 9:00 PM IST, Monday to Saturday, AGENT_BUSY means the queue is full, and VKYC_DISCONNECTED means the call dropped.
EP en@KB-010,KB-011,KB-012#pan-upload | i can't upload my pan, it keeps failing => Which message does the app show when the PAN upload fails? If it is OCR_FAIL the image was unreadable, PAN_GLARE points to a reflection on the card, and NAME_MISMATCH says the PAN name differs from Aadhaar; each has its own fix.

@ edge_missing_support | KB-030,KB-032,KB-041,KB-037 | payments | - | edge-case:missing-error-code
P en | my payment failed => Sorry about that. Could you tell me the error code shown on the payment in Transactions? UPI_U30 means the debit failed at your bank, UPI_Z9 means insufficient balance and UPI_ZM means a wrong UPI PIN.
P en | upi not going through since morning => Could you share the error code on the failed payment in Transactions? Common ones are UPI_U30 (bank debit failed), UPI_ZM (wrong UPI PIN) and LIMIT_EXCEEDED (daily limit reached).
P en#cards | card not working at the shop => Sorry for the hassle. Did the terminal or app show CARD_DECLINED? Common causes are the card being frozen, contactless or international usage being off in Cards > Manage usage, or the daily limit being reached.
P en#login | cant login => Could you tell me what you see when you try? LOGIN_LOCKED means 5 wrong MPIN attempts, OTP_LOCKED means too many OTP requests, and if you forgot your MPIN you can use Forgot MPIN on the login screen.
P en | transaction error => Could you share the error code shown for that transaction in Transactions, and whether money was deducted? That tells me whether it will be reversed automatically or needs a report.
P en#app-crash | app showing some error => Could you share the error code or exact message? For example, ROOT_DETECTED means the phone's software is modified, while crashes without a code are usually fixed by updating the app and clearing the cache.
P hinglish | payment fail ho gaya, kuch code aaya tha yaad nahi => Koi baat nahi. Transactions mein us payment par tap karke error code dekh kar batayein; UPI_U30 ka matlab bank ki taraf debit fail, UPI_Z9 ka matlab balance kam, aur UPI_ZM ka matlab galat UPI PIN.
EP en@KB-030 | my money transfer didn't work => Let's find out what happened. Open the payment in Transactions: which code does it show, and did the amount leave your account? For example UPI_U30 is a failed bank debit, UPI_Z9 a low balance and UPI_ZM an incorrect UPI PIN.

@ edge_angry_onboarding | KB-003,KB-010,KB-015,KB-008 | video-kyc | - | edge-case:angry-user
P en | THIRD time AGENT_BUSY!!! your service is pathetic, why even launch an app if you have no agents => I'm really sorry for the repeated wait, that's frustrating. AGENT_BUSY means the queue is full; the fastest fix is to book a slot with Onboarding > Video-KYC > Schedule a call, and an agent answers within 5 minutes of the booked time.
P en#pan-upload | this OCR_FAIL nonsense is wasting my whole day, the photo is PERFECT => I'm sorry this has taken so long. After 3 failed attempts you can tap Send for manual review and our team checks it within 2 working days, while you continue with the other steps. Uploading the e-PAN PDF instead of a photo also avoids OCR_FAIL.
P en#otp | useless app, locked me out of OTP for no reason!! => I'm sorry for the frustration. OTP_LOCKED applies for 30 minutes after 3 resends in 30 minutes or 5 wrong entries, and it lifts automatically. After that, request one OTP and wait for it before resending.
P en | rejected AGAIN in video kyc, your agents are clueless. fix it now => I'm sorry, I understand how annoying a second rejection is. The exact reason is in Home > Onboarding status; fix it and start a new call from Onboarding > Video-KYC. You can retry up to 3 times, and after that write to support@novapay.example for a manual review.
P en#pan-upload | why do you people make account opening so hard, name mismatch AGAIN for one letter!!! => I'm sorry for the hassle. We can't override NAME_MISMATCH or edit names in the app, because the name must match on PAN and Aadhaar. Please correct the spelling on one of them (PAN via the Protean portal or Aadhaar via UIDAI), and your other steps stay saved for 30 days.
P en | been in queue 40 mins, kicked out when i replied to one whatsapp. ridiculous => I'm really sorry, that's annoying. Leaving the app for more than 60 seconds removes you from the queue, so please keep NovaPay on screen; better still, book a slot with Onboarding > Video-KYC > Schedule a call.
P hinglish | kitni baar video kyc karu yaar, har baar call cut ho jati hai, bakwas => Sorry, main samajh sakta hoon ye kitna frustrating hai. Call cut hone par 10 minute ke andar Onboarding > Video-KYC > Rejoin call se same session continue karein; stable 1 Mbps upload wala network use karein aur call ke dauraan app switch na karein.
EP en@KB-003,KB-004 | I've wasted 3 evenings on your KYC queue, this is absolutely unacceptable => I'm really sorry for the wasted evenings. Evenings from 6:00 PM to 9:00 PM IST are the busiest; the quickest way through is to book a slot with Onboarding > Video-KYC > Schedule a call, and an agent answers within 5 minutes of the booked time.

@ edge_angry_support | KB-031,KB-033,KB-024,KB-037,KB-041 | payments | - | edge-case:angry-user
P en | YOU TOOK MY MONEY. payment failed and 5000 is gone. I want it back NOW => I'm very sorry for the worry. The money isn't lost: debited-but-failed payments are reversed automatically within 3 working days. If it's not back by then, go to Transactions > select the payment > Report an issue with the 12-digit UTR, and we'll resolve it within 7 working days.
P en#refunds | worst app ever, refund still not here after 10 days, cheaters => I'm sorry for the delay, I understand the frustration. Please raise it from Transactions > select the payment > Report an issue > Refund not received with the merchant's refund reference; we'll follow up with the bank and update you within 7 working days.
P en#login | locked out AGAIN. i need to pay my hospital bill and your app locks me. disgusting => I'm really sorry, especially at a time like this. You can unlock right away: tap Forgot MPIN on the login screen, verify the OTP, enter your PAN and set a new 4-digit MPIN; the lock is removed immediately.
P en#app-crash | app crashes every single time i open it, fix your garbage app => I'm sorry for the trouble. Please update to the latest version, restart your phone, keep 500 MB free and on Android clear the cache in Settings > Apps > NovaPay > Storage > Clear cache. If it still crashes, report it from Help > Report a problem so we get the crash logs.
P en#cards | card declined in front of everyone at the restaurant. embarrassing!! => I'm really sorry that happened. Please check Cards > Manage usage: contactless and international are off by default, and a frozen card or reached daily limit also causes CARD_DECLINED. Turning the right usage on fixes it immediately.
P en | pending since yesterday, my landlord is screaming at me, do something => I'm sorry for the stress this is causing. Please don't pay again, since PAYMENT_PENDING usually resolves within 2 hours and always within 48 hours; if it fails, the money is reversed automatically within 3 working days.
P hi | बेकार सर्विस! पैसे कट गए और पेमेंट फेल, कोई जवाब नहीं देता => असुविधा के लिए माफ़ी चाहते हैं। फेल पेमेंट की राशि 3 वर्किंग डेज़ के अंदर अपने आप वापस आ जाती है; न आए तो Transactions > select the payment > Report an issue से UTR के साथ शिकायत करें।
EP en@KB-033,KB-034#refunds | this is a scam app, my refund has been "processing" forever!! => I'm sorry for the long wait. Please check Transactions > select the payment > Refund status; if the refund is past its timeline (UPI 3 to 5 working days, wallet 24 hours, card 5 to 7 working days), tap Report an issue and we'll update you within 7 working days.
"""

# --------------------------------------------------------------------------
# Extra customer phrasings for existing intents ("@+ key" extends a block).
# --------------------------------------------------------------------------
INTENTS_EXTRA = r"""
@+ vkyc_hours
Q Whats the latest time I can start the video KYC in the evening?
Q kyc agent timing pls, i work 10-7
Q do u guys do video kyc on saturdays also
@+ vkyc_window_closed
Q Bro the kyc screen just says WINDOW_CLOSED and nothing else
Q tried vkyc at 6 in the morning, got window closed msg
@+ vkyc_window_closed_in_hours
Q its wednesday noon and WINDOW_CLOSED shows, my phone timezone is dubai time btw
@+ vkyc_sunday
Q Will the verification agents be there this Sunday?
@+ vkyc_queue
Q estimated wait says 9 mins, how accurate is that
Q the kyc queue kicked me out when my screen locked
@+ vkyc_agent_busy
Q Tried kyc at 7.30 pm and got AGENT_BUSY straight away
@+ vkyc_schedule
Q[1] can i cancel the video call slot i booked
Q[0,2] Do I get any reminder before my booked KYC slot?
@+ vkyc_network
Q Can I do the video KYC on my office wifi? its quite slow sometimes
@+ vkyc_permissions
Q kyc call says allow location, where do i enable that
@+ vkyc_disconnected
Q Phone battery died in the middle of my kyc call, now what
@+ vkyc_prepare
Q Is there anything I should keep ready before I start the call with the kyc agent?
Q do i need to sign something during the video call
@+ vkyc_epan_on_call
Q my pan card is with my father in another city, can i show the digital copy on the call
@+ vkyc_result
Q how many hours does it take to know whether video kyc passed
@+ vkyc_rejected
Q my video kyc was rejected because lighting was poor. can I redo it?
Q[1] got rejected 3 times in video kyc, what can i do now
@+ pan_format
Q Does the PAN have to be a JPG or is PNG accepted?
@+ pan_epan
Q Can I upload the e-PAN that came in my email from the IT department
@+ pan_ocr_fail
Q ocr fail coming on my pan, i took the pic under a tubelight at night
Q[0,2] Is OCR_FAIL because my pan card is a photocopy?
@+ pan_ocr_repeated
Q[0] pan still not read after 3 tries, can i skip it and do the other steps?
@+ pan_glare
Q glare error on pan upload even after I cleaned the camera lens
@+ pan_name_mismatch
Q aadhaar says Mohd and pan says Mohammed, is that why NAME_MISMATCH
@+ pan_name_initials
Q my pan just has my initials, will the app reject it
@+ pan_invalid
Q pan inoperative message while signing up, what should i do
@+ otp_validity
Q How many minutes before the OTP expires?
@+ otp_timeout
Q by the time the sms comes it says OTP_TIMEOUT, annoying
@+ otp_resend_limit
Q resent the otp 3 times already, can i ask for more?
@+ otp_locked
Q why is my otp locked, i just wanted a new code
@+ otp_invalid
Q typed the otp correctly still says invalid otp
@+ otp_not_received
Q No OTP coming on jio number for 20 mins
Q otp doesnt come, i have truecaller sms filter on
@+ otp_dual_sim
Q i'm in nepal on roaming and otp reaches really late, expired by then
@+ docs_checklist
Q What documents do I need to keep handy for opening a NovaPay account?
Q I have pan and aadhaar, is anything else required?
@+ address_proof_needed
Q my aadhar has my parents home address but i stay in pune now, what do i upload
@+ aadhaar_otp
Q aadhaar otp is going to my dad's phone number
@+ aadhaar_privacy
Q are you keeping a copy of my aadhaar card?
@+ selfie_tips
Q[1] can i keep my spectacles on during the selfie
@+ selfie_face_match
Q my pan photo is from school days, face match keeps failing
@+ address_proof_types
Q Is a broadband bill accepted as address proof?
@+ address_doc_expired
Q my passport expired last year, can i still use it for address
@+ account_opening_time
Q video kyc approved, when do i get the account number
@+ onboarding_status
Q How can I see which step of my onboarding is still pending?
@+ application_expiry
Q will my documents be deleted if i don't finish signup for a month
@+ eligibility
Q I live in Canada, NRI, can I open a NovaPay account?
@+ account_features
Q do i have to maintain 10k balance like other banks
@+ login_new_device
Q[1] new phone login done, why are payments limited now
Q switched from android to iphone, how do i log back in
@+ biometric_login
Q how to turn on face unlock for the novapay app
@+ login_locked
Q login blocked after entering wrong pin 5 times, help
@+ reset_mpin
Q I want a new MPIN for security reasons, how?
@+ forgot_mpin
Q can't remember my login pin, do i need my pan to reset it?
@+ mpin_vs_upi_pin
Q Do I need to use the same PIN for login and payments?
@+ reset_upi_pin
Q[0] which card details are asked while resetting upi pin
@+ upi_zm
Q upi blocked for 24 hours after wrong pin, can you unblock?
@+ change_mobile
Q[1] my old number is deactivated, how will i get otp now
@+ new_device_cooling
Q[0] why is there a 5k limit after i changed my mobile number
@+ upi_limits
Q[0] Whats the maximum i can send in a single upi payment?
Q how many upi payments can i do per day
@+ limit_exceeded
Q I need to pay 1.2 lakh for my car, upi says LIMIT_EXCEEDED
@+ lower_limit
Q can i restrict upi to 5000 a day for my mom's account
@+ upi_u30
Q my upi payment to the electricity board failed with U30
Q U30 error appears for every payment from my SBI account
@+ upi_z9
Q Why did I get UPI_Z9 when paying the grocery store?
@+ debited_failed
Q upi payment to zomato failed but 450 rupees got deducted
Q bank sms says debited but novapay says failed, confused
@+ debited_not_reversed
Q 4 working days over, failed upi amount still not credited back
@+ payment_pending
Q recharge payment stuck with PAYMENT_PENDING status
@+ wallet_limits
Q wallet says LIMIT_EXCEEDED when i add 15000
@+ wallet_add_money
Q Can I load money into the NovaPay wallet using UPI?
@+ upi_id
Q[1] How do I make a UPI ID with my name instead of my number?
@+ refund_timelines
Q myntra says refund initiated yesterday, when will it show in my bank
Q how many days for a refund on a upi payment
@+ refund_wallet_card
Q refund for a card transaction, how long will it take
@+ refund_track
Q How do I check if my refund has been processed?
@+ refund_overdue
Q It's been 2 weeks, refund still missing. the merchant gave me a reference number
@+ refund_not_initiated
Q the seller is ignoring me, can you cancel the payment and refund me
@+ app_crash
Q app crashes whenever i try to scan a qr code
Q novapay stuck on the loading screen forever
@+ app_min_os
Q is novapay supported on iOS 14?
@+ clear_data_safe
Q does uninstalling novapay delete my wallet balance?
@+ report_problem
Q can I send you crash logs from the app?
@+ root_detected
Q ROOT_DETECTED after i unlocked my bootloader
@+ push_notifications
Q i don't get any push alerts when money comes in
@+ sms_alerts
Q how do i stop getting debit credit sms from novapay
@+ promo_notifications
Q I keep getting offer notifications, can I turn them off?
@+ block_card
Q my purse got stolen with the novapay card, block it asap
@+ freeze_card
Q can I freeze my card for a few days while travelling
@+ replacement_card
Q How much is a new physical card after I blocked my old one?
@+ intl_usage
Q My card got declined on netflix, why?
@+ card_limits
Q Can I withdraw 40000 from the atm in one day?
@+ fraud_report
Q there's a 2999 charge on my card i never did
Q how long does it take to resolve a fraud complaint
@+ never_share
Q got an sms link saying update kyc or account blocked, asking for mpin
@+ contact_support
Q Is there a phone number or email to reach novapay support?
@+ statements
Q where do i get my account statement for 6 months
@+ update_email
Q I want to change the email id linked to my account
@+ close_account
Q How do I permanently delete my NovaPay account?
"""

# --------------------------------------------------------------------------
# Composition settings
# --------------------------------------------------------------------------
CLOSERS = {
    "en": [
        "If it still doesn't work, write to support@novapay.example with a screenshot.",
        "You can also reach us anytime via Help > Chat with us.",
        "Let me know if anything else comes up.",
        "If you get stuck, reply here with the error code shown.",
        "Happy to help further if needed.",
    ],
    "hi": ["फिर भी दिक्कत हो तो Help > Chat with us से हमसे संपर्क करें।", "और मदद चाहिए तो बताइए।"],
    "hinglish": [
        "Phir bhi problem ho toh Help > Chat with us se contact karein.",
        "Aur koi sawaal ho toh batayein.",
    ],
}
SYSTEM_PROMPT = (
    "You are NovaPay's customer-support assistant. Answer from NovaPay's help-centre "
    "policies, be concise and concrete, and never ask for OTPs, PINs or full card numbers."
)
# Fake PII (all invented).  Only ever placed in customer text.
PII = {
    "mobile": [
        "+91 98201 44537",
        "+91 9876543210",
        "9930012345",
        "+91 70456 12398",
        "+91-88794 55120",
        "+91 91234 56780",
    ],
    "email": [
        "rahul.s@gmail.com",
        "priya.sharma87@yahoo.co.in",
        "ankit_verma@outlook.com",
        "sneha.k@rediffmail.com",
        "vikram.n@gmail.com",
        "meera.iyer@hotmail.com",
    ],
    "card": ["4111 1111 1111 1111", "5500 0055 5555 5559", "4012 8888 8888 1881"],
    "pan": ["ABCPE1234F", "BXDPK4821L", "AAKPS7654M"],
    "aadhaar": ["2345 6789 0123", "5821 4470 3369", "7412 0098 5531"],
    "ip": ["49.36.112.87", "103.21.58.14", "157.48.90.201"],
}
PII_TEMPLATES = {
    "mobile": [
        "My registered number is {v}.",
        "reach me on {v} if needed",
        "(registered mobile {v})",
        "my no. is {v}",
    ],
    "email": ["My email is {v}.", "you can mail me at {v}", "(account email: {v})"],
    "card": ["My card number is {v}.", "card no {v}"],
    "pan": ["My PAN is {v}.", "pan no. {v} for reference"],
    "aadhaar": ["My Aadhaar number is {v}.", "aadhaar {v}"],
    "ip": ["I'm connecting from IP {v} if that helps.", "(my ip shows {v})"],
}
PII_ANSWER_PREFIX = {
    "card": "For your safety, please don't share your full card number in chat; we never need it. ",
    "aadhaar": "Please don't share your Aadhaar number in chat; we never need it here. ",
}
PII_KINDS_BY_STAGE = {
    "cards": ["card", "mobile", "email"],
    "payments": ["mobile", "email", "card"],
    "refunds": ["email", "mobile", "card"],
    "pan-upload": ["pan", "email", "mobile"],
    "documents": ["aadhaar", "pan", "mobile", "email"],
    "video-kyc": ["mobile", "pan", "aadhaar", "email"],
    "otp": ["mobile", "ip"],
    "login": ["mobile", "ip", "email"],
    "app-crash": ["ip", "email", "mobile"],
    "account": ["email", "mobile", "aadhaar", "ip"],
    "notifications": ["mobile", "email"],
}
TICKET_SUBJECTS = {
    "video-kyc": [
        "Video KYC issue",
        "Unable to complete video KYC",
        "Query about video verification",
        "Video KYC call problem",
    ],
    "pan-upload": ["PAN upload problem", "PAN card not accepted", "Issue uploading PAN"],
    "otp": ["OTP issue", "Not receiving OTP", "OTP problem during signup"],
    "documents": ["Documents for account opening", "KYC document query", "Document upload issue"],
    "account": ["Account query", "Savings account question", "Help with my account"],
    "login": ["Login issue", "Cannot log in", "MPIN problem"],
    "payments": ["UPI payment issue", "Payment problem", "Transaction query"],
    "refunds": ["Refund query", "Refund not received", "Refund status"],
    "app-crash": ["App not working", "App crashing", "Technical issue with app"],
    "notifications": ["Notification settings", "Not getting alerts", "SMS alerts query"],
    "cards": ["Debit card issue", "Card query", "Card blocked/declined"],
}
STAGES = [
    "video-kyc",
    "pan-upload",
    "otp",
    "documents",
    "login",
    "payments",
    "refunds",
    "app-crash",
    "notifications",
    "cards",
    "account",
]
ONBOARDING_STAGES = {"video-kyc", "pan-upload", "otp", "documents"}
N_OPENAI_3, N_OPENAI_2 = 20, 40  # 60 dialogs
N_SG_1, N_SG_2, N_SG_3 = 8, 24, 8  # 40 dialogs
N_ALPACA, N_TICKETS = 80, 125
N_EVAL = 100
N_PII = 36
# Articles held out of training entirely: every intent citing one is an `unseen` eval intent, answerable only
# from the knowledge base through retrieval. Their A lines become references, their Q lines eval questions.
UNSEEN_KB = {"KB-022", "KB-027", "KB-028", "KB-035", "KB-036", "KB-044", "KB-045"}
N_UNSEEN_PER_INTENT = 3
# No reference may be this close (answer-only word-3-gram Jaccard) to any training answer.
MAX_REF_JACCARD = 0.5
# Key facts written by hand where the reference states no specific the judge can derive (a number, time, code,
# menu path, e-mail). "a | b" lists wordings that count as the same fact.
KEY_FACTS = {
    "is there a minimum balance": ["no minimum balance | zero minimum balance"],
    "Do I need to keep some minimum amount in the account?": ["zero minimum balance | no minimum balance"],
    "any charges if balance goes low": ["zero minimum balance | no minimum balance", "no charge"],
    "pan ki photo par chamak aa rahi hai, PAN_GLARE bol raha hai": [
        "flash band | flash off",
        "plastic cover",
        "e-pan",
    ],
    "How can I see whether the merchant has started my refund?": ["Refund status", "Transactions"],
    "The seller won't respond, can NovaPay give my money back directly?": [
        "initiated by the merchant | merchant has to | merchant must",
        "Report an issue",
    ],
    "app reinstall karne se mera balance toh nahi jayega?": [
        "koi asar nahi | safe",
        "OTP aur MPIN | OTP and MPIN",
    ],
    "What paperwork is required before I start opening the account?": [
        "PAN",
        "Aadhaar",
        "selfie",
        "original physical PAN card | physical PAN card | original PAN card",
    ],
    "Does deleting the app wipe my balance?": ["safe", "OTP and MPIN | OTP and your MPIN"],
    "does the agent accept a PAN printout during the call?": [
        "original physical PAN card | physical PAN card | original PAN card",
        "e-PAN",
    ],
    "My PAN has a plastic coating and photos keep shining, tips?": [
        "plastic cover",
        "flash",
        "e-PAN PDF | e-PAN",
    ],
    "NovaPay shuts with ROOT_DETECTED though I never rooted it": [
        "custom ROM | unlocked bootloader | modified",
        "another phone",
        "factory software",
    ],
}

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


# --------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------
def parse_kb(text):
    arts = []
    for chunk in text.split("\n=== ")[1:]:
        head, body = chunk.split("\n", 1)
        kid, slug, title, tags = [x.strip() for x in head.split("|")]
        arts.append(
            {
                "id": kid,
                "slug": slug,
                "title": title,
                "tags": [t.strip() for t in tags.split(",")],
                "body": body.strip(),
            }
        )
    return arts


LINE_RE = re.compile(r"^(Q|A|E|P|EP)(\[[\d,]+\])?\s+(.*)$")


def parse_intents(texts):
    intents, by_key = [], {}
    cur = None
    for text in texts:
        for raw in text.splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("@+ "):
                cur = by_key[line[3:].strip()]
                continue
            if line.startswith("@ "):
                key, kb, stage, codes, cat = [x.strip() for x in line[2:].split("|")]
                edge = None
                if cat.startswith("edge-case:"):
                    edge, cat = cat.split(":", 1)[1], "edge-case"
                cur = {
                    "key": key,
                    "kb": kb.split(","),
                    "stage": stage,
                    "codes": [] if codes == "-" else codes.split(","),
                    "cat": cat,
                    "edge": edge,
                    "Q": [],
                    "A": [],
                    "E": [],
                    "P": [],
                    "EP": [],
                }
                assert stage in STAGES, stage
                intents.append(cur)
                by_key[key] = cur
                continue
            m = LINE_RE.match(line)
            assert m, "bad line: " + line
            tag, pin, rest = m.group(1), m.group(2), m.group(3).strip()
            if tag in ("Q", "E"):
                cur[tag].append((rest, [int(i) for i in pin[1:-1].split(",")] if pin else None))
            elif tag == "A":
                cur["A"].append(rest)
            else:
                lang, qa = rest.split("|", 1)
                q, a = qa.split("=>")
                lang, _, stg = lang.strip().partition("#")
                lang, _, kbo = lang.partition("@")
                assert not stg or stg in STAGES, stg
                if tag == "P":
                    cur[tag].append((lang, q.strip(), a.strip(), stg or None))
                else:
                    cur[tag].append(
                        (lang, q.strip(), a.strip(), kbo.split(",") if kbo else None, stg or None)
                    )
    return intents


# --------------------------------------------------------------------------
# Near-duplicate machinery
# --------------------------------------------------------------------------
_PUNCT = re.compile(r"^[\W_]+|[\W_]+$", re.UNICODE)


def words(text):
    out = []
    for w in text.lower().split():
        w = w.strip(".,!?;:()[]{}\"'`“”‘’।…-")
        if w:
            out.append(w)
    return out


def shingles(text):
    w = words(text)
    if len(w) < 3:
        return {" ".join(w)}
    return {" ".join(w[i : i + 3]) for i in range(len(w) - 2)}


def minhash(text):
    m = MinHash(num_perm=128, seed=1)
    for s in shingles(text):
        m.update(s.encode("utf-8"))
    return m


def new_lsh():
    return MinHashLSH(threshold=0.8, num_perm=128)


# --------------------------------------------------------------------------
# Build
# --------------------------------------------------------------------------
def held_out_answers(it):
    """Indices of the A lines kept out of training as the `seen` references of this intent's E questions."""
    held = {pin[0] if pin else len(it["A"]) - 1 for _, pin in it["E"]} if it["A"] else set()
    assert len(held) < len(it["A"]) or not it["A"], "intent %s keeps no training answer" % it["key"]
    return held


def jaccard(a, b):
    sa, sb = shingles(a), shingles(b)
    return len(sa & sb) / max(1, len(sa | sb))


def build_units(intents):
    units = []
    for it in intents:
        held = it["held"]
        for q, pin in it["Q"]:
            ans = [it["A"][i] for i in (pin or range(len(it["A"]))) if i not in held]
            ans = ans or [a for i, a in enumerate(it["A"]) if i not in held]
            assert ans, it["key"]
            units.append({"q": q, "lang": "en", "answers": ans, "it": it})
        for lang, q, a, stg in it["P"]:
            units.append({"q": q, "lang": lang, "answers": [a], "it": it, "stage": stg})
    for u in units:
        u["stage"] = u.get("stage") or u["it"]["stage"]
        u["edge"] = u["it"]["edge"]
        u["codes"] = [c for c in u["it"]["codes"]]
        u["pii"] = None
    return units


def unit_tags(u):
    tags = [u["stage"]]
    text = u["q"] + " " + u.get("a", "")
    for c in u["codes"]:
        if c in text:
            tags.append(c)
    for c in re.findall(r"\b[A-Z][A-Z0-9]+_[A-Z0-9_]+\b", u["q"]):
        if c not in tags:
            tags.append(c)
    if u["edge"]:
        tags += ["edge-case", u["edge"]]
    return tags


def main():
    rng = random.Random(SEED)
    kb = parse_kb(KB_TEXT)
    kb_ids = {a["id"] for a in kb}
    assert len(kb_ids) == len(kb)
    intents = parse_intents([INTENTS_ONBOARDING, INTENTS_SUPPORT, INTENTS_HINDI, INTENTS_EDGE, INTENTS_EXTRA])
    for it in intents:
        for k in it["kb"]:
            assert k in kb_ids, (it["key"], k)
    warnings = []

    # ---- KB files
    kb_dir = os.path.join(HERE, "kb")
    os.makedirs(kb_dir, exist_ok=True)
    for f in os.listdir(kb_dir):
        if f.startswith("KB-") and f.endswith(".md"):
            os.remove(os.path.join(kb_dir, f))
    for a in kb:
        n = len(a["body"].split())
        if not 80 <= n <= 220:
            warnings.append("KB %s has %d words" % (a["id"], n))
        with open(os.path.join(kb_dir, "%s-%s.md" % (a["id"], a["slug"])), "w", encoding="utf-8") as f:
            title = (
                a["title"]
                if re.fullmatch(r"[\w ()/,.-]+", a["title"])
                else json.dumps(a["title"], ensure_ascii=False)
            )
            f.write(
                "---\nid: %s\ntitle: %s\ntags: [%s]\n---\n\n%s\n"
                % (a["id"], title, ", ".join(a["tags"]), a["body"])
            )

    # ---- units and allocation: unseen intents and held-out references never reach the training files
    unseen_intents = [it for it in intents if set(it["kb"]) & UNSEEN_KB]
    seen_intents = [it for it in intents if it not in unseen_intents]
    for it in seen_intents:
        it["held"] = held_out_answers(it)
    units = build_units(seen_intents)
    rng.shuffle(units)
    edge_starters = [u for u in units if u["edge"] in ("out-of-scope", "angry-user") and u["lang"] == "en"]
    edge_single = [
        u for u in units if u["edge"] in ("no-question", "missing-error-code") and u["lang"] == "en"
    ]
    normal = [u for u in units if not u["edge"]]
    used = set()

    def take(pred):
        for u in normal:
            if id(u) not in used and pred(u):
                used.add(id(u))
                return u
        return None

    def followups(first, n):
        out = []
        lang, stage = first["lang"], first["stage"]
        grp = ONBOARDING_STAGES if stage in ONBOARDING_STAGES else set(STAGES) - ONBOARDING_STAGES
        for _ in range(n):
            u = (
                take(lambda x: x["lang"] == lang and x["stage"] == stage and x["it"] is not first["it"])
                or take(lambda x: x["lang"] == lang and x["stage"] in grp and x["it"] is not first["it"])
                or take(lambda x: x["lang"] == lang)
            )
            assert u is not None
            out.append(u)
        return out

    def dialog(n_turns, lang, starter=None):
        if starter is None:
            starter = take(lambda x: x["lang"] == lang) or take(lambda x: True)
        else:
            used.add(id(starter))
        return [starter] + followups(starter, n_turns - 1)

    openai_dialogs, sg_dialogs = [], []
    st_iter = iter(edge_starters)
    plan = [3] * N_OPENAI_3 + [2] * N_OPENAI_2
    rng.shuffle(plan)
    for i, n in enumerate(plan):
        lang = "en"
        if i % 15 == 3:
            lang = "hinglish"
        elif i % 15 == 8:
            lang = "hi"
        starter = next(st_iter) if (i % 5 == 0 and lang == "en") else None
        openai_dialogs.append(dialog(n, lang, starter))
    plan = [1] * N_SG_1 + [2] * N_SG_2 + [3] * N_SG_3
    rng.shuffle(plan)
    es_iter = iter(edge_single)
    for i, n in enumerate(plan):
        lang = "en"
        if i % 5 == 1:
            lang = "hi" if i % 10 == 1 else "hinglish"
        if n == 1 and lang == "en":
            u = next(es_iter)
            used.add(id(u))
            sg_dialogs.append([u])
            continue
        starter = next(st_iter) if (i % 6 == 0 and lang == "en") else None
        sg_dialogs.append(dialog(n, lang, starter))
    alpaca_units = []
    for _ in range(N_ALPACA):
        alpaca_units.append(take(lambda x: x["lang"] == "en"))
    ticket_units = []
    for _ in range(N_TICKETS):
        ticket_units.append(take(lambda x: True))
    qa_units = [u for u in units if id(u) not in used]
    for u in qa_units:
        used.add(id(u))
    assert len(used) == len(units)

    # ---- PII injection (customer text only)
    cands = [
        u
        for u in qa_units + ticket_units + [x for d in openai_dialogs for x in d]
        if u["lang"] == "en" and not u["edge"]
    ]
    rng.shuffle(cands)
    plan = ["mobile"] * 9 + ["email"] * 8 + ["card"] * 5 + ["pan"] * 5 + ["aadhaar"] * 5 + ["ip"] * 4
    assert len(plan) == N_PII
    picked = []
    for kind in plan:
        u = next(
            x
            for x in cands
            if x["pii"] is None
            and id(x) not in {id(y) for y, _ in picked}
            and kind in PII_KINDS_BY_STAGE[x["stage"]]
        )
        picked.append((u, kind))
    for u, kind in picked:
        sent = rng.choice(PII_TEMPLATES[kind]).format(v=rng.choice(PII[kind]))
        if rng.random() < 0.7:
            u["q"] = u["q"].rstrip() + (" " if u["q"].rstrip()[-1:] in ".?!" else ". ") + sent
        else:
            sent = sent if sent[-1] in ".?!)" else sent + "."
            u["q"] = sent[0].upper() + sent[1:] + " " + u["q"]
        u["pii"] = kind

    # ---- answer choice with near-duplicate avoidance (deterministic, greedy)
    lsh = new_lsh()
    rot = Counter()
    collisions_forced = 0
    order = list(range(len(units)))
    for idx in order:
        u = units[idx]
        k = rot[u["it"]["key"]]
        rot[u["it"]["key"]] += 1
        base = u["answers"][k % len(u["answers"]) :] + u["answers"][: k % len(u["answers"])]
        closers = CLOSERS[u["lang"]][:]
        rng.shuffle(closers)
        prefix = PII_ANSWER_PREFIX.get(u["pii"], "")
        cand = [prefix + a for a in base] + [prefix + a + " " + c for c in closers for a in base]
        chosen = None
        for a in cand:
            mh = minhash(u["q"] + " " + a)
            if not lsh.query(mh):
                chosen = (a, mh)
                break
        if chosen is None:
            collisions_forced += 1
            a = cand[0]
            chosen = (a, minhash(u["q"] + " " + a))
        u["a"] = chosen[0]
        u["mh"] = chosen[1]
        lsh.insert("u%d" % idx, chosen[1])
        if len(u["a"].split()) > 90:
            warnings.append("long answer (%d words): %s" % (len(u["a"].split()), u["q"][:50]))
        if u["pii"]:
            for vals in PII.values():
                for v in vals:
                    assert v not in u["a"]

    # ---- answers must never carry PII (only the support email is allowed)
    for u in units:
        for em in re.findall(r"[\w.+-]+@[\w-]+\.[\w.]+", u["a"]):
            assert em == "support@novapay.example", u["a"]
        assert not re.search(r"\d{4} \d{4} \d{4}|\d{10}|\d{5} \d{5}|[A-Z]{5}\d{4}[A-Z]", u["a"]), u["a"]

    # ---- timestamps
    def ts():
        day = rng.randint(0, 82)
        month, d = (1, day + 5) if day < 27 else ((2, day - 26) if day < 55 else (3, day - 54))
        return "2026-%02d-%02dT%02d:%02d:%02dZ" % (
            month,
            d,
            rng.randint(6, 22),
            rng.randint(0, 59),
            rng.randint(0, 59),
        )

    records = []  # (file, id, text, language, tags, n_targets, edge)
    raw_dir = os.path.join(HERE, "raw")
    os.makedirs(raw_dir, exist_ok=True)

    # qa.jsonl
    qa_lines = []
    for i, u in enumerate(qa_units, 1):
        rid = "qa-%04d" % i
        inputs = {"question": u["q"]}
        r = rng.random()
        codes_in_q = [c for c in u["codes"] if c in u["q"]]
        if u["codes"] and not codes_in_q and len(u["codes"]) == 1 and r < 0.25 and u["codes"][0] in u["a"]:
            inputs["context"] = "Error code shown in app: %s" % u["codes"][0]
        elif r > 0.85 and not u["edge"]:
            inputs["context"] = rng.choice(
                [
                    "Channel: in-app chat",
                    "Channel: email",
                    "Customer platform: Android",
                    "Customer platform: iOS",
                    "App version 6.4.%d" % rng.randint(0, 9),
                ]
            )
        tags = unit_tags(u)
        rec = {
            "id": rid,
            "inputs": inputs,
            "outputs": {"answer": u["a"]},
            "meta": {
                "source": rng.choice(["helpdesk_faq", "helpdesk_faq", "email_support"]),
                "timestamp": ts(),
                "tags": tags,
                "language": u["lang"],
            },
        }
        qa_lines.append(json.dumps(rec, ensure_ascii=False))
        records.append(("qa.jsonl", rid, u["q"] + " " + u["a"], u["lang"], tags, 1, u["edge"], u["pii"]))
    # deliberately flawed records
    n_qa = len(qa_lines)
    bad_empty_id, bad_json_id = "qa-%04d" % (n_qa + 1), "qa-%04d" % (n_qa + 2)
    bad_empty = json.dumps(
        {
            "id": bad_empty_id,
            "inputs": {"question": "How do I download my wallet statement?"},
            "outputs": {"answer": ""},
            "meta": {
                "source": "helpdesk_faq",
                "timestamp": "2026-02-17T11:05:00Z",
                "tags": ["account"],
                "language": "en",
            },
        }
    )
    bad_json = (
        '{"id": "%s", "inputs": {"question": "Can I change my custom UPI ID later?"}, "outputs": '
        '{"answer": "You can create one custom UPI ID in Profile > Payments > UPI ID' % bad_json_id
    )
    qa_lines.insert(137, bad_empty)
    qa_lines.insert(211, bad_json)
    with open(os.path.join(raw_dir, "qa.jsonl"), "w", encoding="utf-8") as f:
        f.write("\n".join(qa_lines) + "\n")

    # chats_openai.jsonl
    with open(os.path.join(raw_dir, "chats_openai.jsonl"), "w", encoding="utf-8") as f:
        for i, d in enumerate(openai_dialogs, 1):
            rid = "chat-%04d" % i
            msgs = []
            if i % 2 == 1:
                msgs.append({"role": "system", "content": SYSTEM_PROMPT})
            tags = []
            for u in d:
                msgs += [{"role": "user", "content": u["q"]}, {"role": "assistant", "content": u["a"]}]
                tags += [t for t in unit_tags(u) if t not in tags]
            lang = d[0]["lang"]
            f.write(
                json.dumps(
                    {
                        "id": rid,
                        "messages": msgs,
                        "meta": {"source": "live_chat", "tags": tags, "language": lang, "timestamp": ts()},
                    },
                    ensure_ascii=False,
                )
                + "\n"
            )
            records.append(
                (
                    "chats_openai.jsonl",
                    rid,
                    " ".join(u["q"] + " " + u["a"] for u in d),
                    lang,
                    tags,
                    len(d),
                    next((u["edge"] for u in d if u["edge"]), None),
                    next((u["pii"] for u in d if u["pii"]), None),
                )
            )

    # chats_sharegpt.jsonl
    with open(os.path.join(raw_dir, "chats_sharegpt.jsonl"), "w", encoding="utf-8") as f:
        for i, d in enumerate(sg_dialogs, 1):
            rid = "sg-%04d" % i
            conv, tags = [], []
            for u in d:
                conv += [{"from": "human", "value": u["q"]}, {"from": "gpt", "value": u["a"]}]
                tags += [t for t in unit_tags(u) if t not in tags]
            lang = d[0]["lang"]
            f.write(
                json.dumps(
                    {"id": rid, "conversations": conv, "tags": tags, "language": lang}, ensure_ascii=False
                )
                + "\n"
            )
            records.append(
                (
                    "chats_sharegpt.jsonl",
                    rid,
                    " ".join(u["q"] + " " + u["a"] for u in d),
                    lang,
                    tags,
                    len(d),
                    next((u["edge"] for u in d if u["edge"]), None),
                    next((u["pii"] for u in d if u["pii"]), None),
                )
            )

    # alpaca.json
    items = []
    for i, u in enumerate(alpaca_units):
        inp = ""
        codes_in_q = [c for c in u["codes"] if c in u["q"]]
        if len(u["codes"]) == 1 and not codes_in_q and u["codes"][0] in u["a"] and rng.random() < 0.7:
            inp = "Error code: %s" % u["codes"][0]
        elif rng.random() < 0.2:
            inp = (
                rng.choice(
                    [
                        "Customer is on Android",
                        "Customer is on iOS",
                        "Onboarding not yet complete",
                        "Customer contacted via in-app chat",
                    ]
                )
                if u["stage"] in ONBOARDING_STAGES or rng.random() < 0.5
                else ""
            )
        items.append({"instruction": u["q"], "input": inp, "output": u["a"]})
        records.append(
            (
                "alpaca.json",
                "alpaca[%d]" % i,
                u["q"] + " " + inp + " " + u["a"],
                "en",
                unit_tags(u),
                1,
                None,
                u["pii"],
            )
        )
    bad_alpaca_index = 45
    items.insert(
        bad_alpaca_index, {"instruction": "How do I switch off contactless payments on my card?", "input": ""}
    )
    with open(os.path.join(raw_dir, "alpaca.json"), "w", encoding="utf-8") as f:
        json.dump(items, f, ensure_ascii=False, indent=1)
        f.write("\n")

    # tickets.csv
    rows = []
    for i, u in enumerate(ticket_units, 1):
        tid = "TCK-%06d" % (260000 + i * 7)
        subj = rng.choice(TICKET_SUBJECTS[u["stage"]])
        codes_in_q = [c for c in u["codes"] if c in u["q"]]
        if codes_in_q and rng.random() < 0.6:
            subj = (
                rng.choice(["%s error", "Getting %s", "%s in app", "Error %s - please help"]) % codes_in_q[0]
            )
        created = ts().replace("T", " ").replace("Z", "")
        rows.append([tid, created, subj, u["q"], u["a"], u["stage"], u["lang"]])
        records.append(
            (
                "tickets.csv",
                tid,
                subj + " " + u["q"] + " " + u["a"],
                u["lang"],
                unit_tags(u),
                1,
                None,
                u["pii"],
            )
        )
    bad_ticket_id = "TCK-%06d" % (260000 + (len(ticket_units) + 1) * 7)
    rows.insert(
        64,
        [
            bad_ticket_id,
            "2026-02-20 16:41:09",
            "Card PIN",
            "How do I change the PIN of my NovaPay debit card?",
            "",
            "cards",
            "en",
        ],
    )
    with open(os.path.join(raw_dir, "tickets.csv"), "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        w.writerow(["ticket_id", "created_at", "subject", "body", "resolution", "category", "language"])
        w.writerows(rows)

    # ---- self-check over training records
    rlsh = new_lsh()
    mhs = {}
    for k, r in enumerate(records):
        mhs[k] = minhash(r[2])
        rlsh.insert(k, mhs[k])
    in_cluster = sum(1 for k in mhs if len(rlsh.query(mhs[k])) > 1)

    # ---- eval suite
    train_q_lsh, train_qa_lsh = new_lsh(), new_lsh()
    for idx, u in enumerate(units):
        train_q_lsh.insert("q%d" % idx, minhash(u["q"]))
        train_qa_lsh.insert("u%d" % idx, u["mh"])
    for k, r in enumerate(records):
        train_qa_lsh.insert("r%d" % k, mhs[k])
    ev = []
    for it in seen_intents:
        for q, pin in it["E"]:
            ev.append(
                {"q": q, "refs": [it["A"][pin[0] if pin else len(it["A"]) - 1]], "lang": "en", "it": it}
            )
        for lang, q, a, kbo, stg in it["EP"]:
            ev.append({"q": q, "refs": [a], "lang": lang, "it": it, "kb": kbo, "stage": stg})
    for e in ev:
        e["slice"] = "seen"
    unseen = []
    for it in unseen_intents:
        asks = [(q, pin) for q, pin in it["E"]] + [(q, pin) for q, pin in it["Q"]]
        for k, (q, pin) in enumerate(asks[:N_UNSEEN_PER_INTENT]):
            refs = [it["A"][i] for i in pin] if pin else it["A"]
            unseen.append({"q": q, "refs": [refs[k % len(refs)]], "lang": "en", "it": it, "slice": "unseen"})
    fixed = [e for e in ev if e["lang"] != "en" or e["it"]["edge"]]
    flex = [e for e in ev if e not in fixed]
    # keep at least 3 held-out questions per stage while trimming to N_EVAL
    rng.shuffle(flex)
    need_drop = len(fixed) + len(flex) + len(unseen) - N_EVAL
    per_stage = Counter(e["it"]["stage"] for e in flex)  # flex items carry their block's stage
    keep = []
    for e in flex:
        if need_drop > 0 and per_stage[e["it"]["stage"]] > 3:
            per_stage[e["it"]["stage"]] -= 1
            need_drop -= 1
            continue
        keep.append(e)
    assert need_drop == 0
    keep += unseen
    chosen = fixed + keep
    rng.shuffle(chosen)
    questions, eval_coll, max_ref_j = [], 0, 0.0
    eval_lsh = new_lsh()
    for n, e in enumerate(chosen, 1):
        it = e["it"]
        mq = minhash(e["q"])
        if train_q_lsh.query(mq):
            eval_coll += 1
            warnings.append("eval question collides with training: " + e["q"])
        ref = None
        ref_cands = e["refs"] + [a + " " + c for c in CLOSERS[e["lang"]] for a in e["refs"]]
        for a in ref_cands:
            if not train_qa_lsh.query(minhash(e["q"] + " " + a)):
                ref = a
                break
        if ref is None:
            eval_coll += 1
            ref = e["refs"][0]
            warnings.append("eval q+ref collides with training: " + e["q"])
        closest = max(jaccard(ref, u["a"]) for u in units)
        if closest >= MAX_REF_JACCARD:
            eval_coll += 1
            warnings.append("eval reference is a training answer (Jaccard %.2f): %s" % (closest, ref[:60]))
        max_ref_j = max(max_ref_j, closest)
        text = e["q"] + " " + ref
        code = next((c for c in it["codes"] if c in text), None)
        if code is None:
            found = re.findall(r"\b[A-Z][A-Z0-9]+_[A-Z0-9_]+\b", e["q"])
            code = found[0] if found else None
        behav = {"no-question": "clarify", "missing-error-code": "clarify", "out-of-scope": "refuse"}.get(
            it["edge"], "answer"
        )
        eval_lsh.insert(n, minhash(text))
        kbs = e.get("kb")
        if not kbs and e["lang"] != "en" or (not kbs and it["edge"]):
            kbs = [a["id"] for a in kb if code and code in a["tags"]] or None
        kbs = kbs or it["kb"]
        assert all(k in kb_ids for k in kbs)
        questions.append(
            {
                "id": "q%03d" % n,
                "question": e["q"],
                "reference_answer": ref,
                "kb_ids": kbs,
                "key_facts": KEY_FACTS.get(e["q"]) or derive_key_facts(ref, e["q"]),
                "tags": {
                    "slice": e["slice"],
                    "stage": e.get("stage") or it["stage"],
                    "error_code": code,
                    "language": e["lang"],
                },
                "category": it["cat"],
                "expected_behavior": behav,
            }
        )
        if it["edge"]:
            questions[-1]["tags"]["edge_case"] = it["edge"]
    assert len(questions) == N_EVAL
    suite = {
        "name": "support_100",
        "version": "2.0",
        "description": (
            "100 held-out NovaPay (fictional fintech) support questions with reference answers grounded "
            "in data/sample/kb, in two slices. unseen: intents whose KB articles have no training record "
            "(answerable only through retrieval). seen: trained intents asked in new words, with a reference "
            "answer kept out of training. No question is a near duplicate (MinHash/LSH, word 3-grams, 0.8) of "
            "a training record, and no reference is within answer-only word-3-gram Jaccard 0.5 of a training "
            "answer. Includes Hindi/Hinglish and edge cases (clarify/refuse). key_facts: the specifics a "
            "correct answer must carry (derived from the reference; the question's own specifics excluded)."
        ),
        "questions": questions,
    }
    os.makedirs(os.path.join(REPO, "eval", "suites"), exist_ok=True)
    with open(os.path.join(REPO, "eval", "suites", "support_100.json"), "w", encoding="utf-8") as f:
        json.dump(suite, f, ensure_ascii=False, indent=2)
        f.write("\n")

    # ---- report
    print("KB articles: %d" % len(kb))
    per_file = Counter()
    targets = Counter()
    for r in records:
        per_file[r[0]] += 1
        targets[r[0]] += r[5]
    for fn in ["qa.jsonl", "chats_openai.jsonl", "chats_sharegpt.jsonl", "alpaca.json", "tickets.csv"]:
        print("  %-22s records=%4d answer_targets=%4d" % (fn, per_file[fn], targets[fn]))
    tot_t = sum(targets.values())
    print("  TOTAL records=%d answer_targets=%d (valid; excludes 4 flawed records)" % (len(records), tot_t))
    lang_t = Counter(u["lang"] for u in units)
    print(
        "  targets by language: %s  (non-en share %.1f%%)"
        % (dict(lang_t), 100.0 * (lang_t["hi"] + lang_t["hinglish"]) / len(units))
    )
    lang_r = Counter(r[3] for r in records)
    print("  records by language: %s" % dict(lang_r))
    edge_t = Counter(u["edge"] for u in units if u["edge"])
    print(
        "  edge-case targets: %d (%.1f%%) %s"
        % (sum(edge_t.values()), 100.0 * sum(edge_t.values()) / len(units), dict(edge_t))
    )
    print("  records with edge-case tag: %d" % sum(1 for r in records if r[6]))
    pii = Counter(r[7] for r in records if r[7])
    print(
        "  records with PII in customer text: %d (%.1f%%) %s"
        % (sum(pii.values()), 100.0 * sum(pii.values()) / len(records), dict(pii))
    )
    print(
        "  near-dup self-check (MinHash 128, word 3-grams of question+answer, LSH 0.8): %d/%d records in a cluster (%.2f%%); forced unit collisions during composition: %d"
        % (in_cluster, len(records), 100.0 * in_cluster / len(records), collisions_forced)
    )
    print(
        "  flawed records: qa.jsonl %s (empty answer), qa.jsonl %s (invalid JSON), tickets.csv %s (empty resolution), alpaca.json index %d (missing output)"
        % (bad_empty_id, bad_json_id, bad_ticket_id, bad_alpaca_index)
    )
    ec = Counter(q["tags"]["language"] for q in questions)
    print(
        "eval support_100: %d questions; languages %s; behaviours %s; categories %s; stages %s"
        % (
            len(questions),
            dict(ec),
            dict(Counter(q["expected_behavior"] for q in questions)),
            dict(Counter(q["category"] for q in questions)),
            dict(Counter(q["tags"]["stage"] for q in questions)),
        )
    )
    print(
        "  slices %s; closest reference to a training answer: Jaccard %.2f (limit %.2f)"
        % (dict(Counter(q["tags"]["slice"] for q in questions)), max_ref_j, MAX_REF_JACCARD)
    )
    print("  eval vs training collisions (question-only and question+reference, LSH 0.8): %d" % eval_coll)
    for w_ in warnings:
        print("WARNING:", w_)
    if eval_coll or in_cluster >= 0.03 * len(records):
        sys.exit(1)


if __name__ == "__main__":
    main()
