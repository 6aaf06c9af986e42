// A large export's page: sends "Continuer" for the person, slice after slice, showing the rows written so
// far, then shows the page again with its download link. Without script, the button does the same by hand.
(function () {
  "use strict";
  const form = document.getElementById("export-continue");
  const progress = document.getElementById("export-progress");
  if (!form || !progress) return;
  form.hidden = true;
  let rows = -1;
  async function step() {
    try {
      const answer = await fetch(form.action, {method: "POST", body: new URLSearchParams(new FormData(form)),
                                               headers: {Accept: "application/json"}, credentials: "same-origin"});
      if (!answer.ok) throw new Error(String(answer.status));
      const job = await answer.json();
      if (job.status === "done") { window.location.reload(); return; }
      progress.textContent = progress.textContent.replace(/[0-9][0-9\s\u202f]*/, job.rows + " ");
      setTimeout(step, job.rows === rows ? 2000 : 300);  // another request holds it: ask less often
      rows = job.rows;
    } catch (error) {
      form.hidden = false;  // the person may go on by hand
    }
  }
  step();
})();
